import type { z } from 'zod';
import { describeType, echo, stateIssue, toPointer, type StateIssue } from '../text/state-issue.js';

type ZodIssue = z.core.$ZodIssue;
type Path = readonly (string | number)[];

/**
 * zod issues → state issues with our own one-line messages.
 *
 * Messages are written here rather than taken from zod, because zod's echo keys and
 * values verbatim. An unknown key becomes one issue pointing at that key, and a failed
 * union reports the branch whose type matched the input, which is what a person meant.
 */
export function convertZodIssues(file: string, base: Path, issues: readonly ZodIssue[]): StateIssue[] {
  return issues.flatMap((issue) => convert(file, [...base, ...pathOf(issue.path)], issue));
}

function pathOf(path: readonly PropertyKey[]): (string | number)[] {
  return path.map((segment) => (typeof segment === 'symbol' ? String(segment.description) : segment));
}

function convert(file: string, path: Path, issue: ZodIssue): StateIssue[] {
  const at = (message: string, where: Path = path): StateIssue[] => [stateIssue(file, toPointer(where), message)];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.flatMap((key) => at('unknown field', [...path, key]));
    case 'invalid_type':
      return issue.input === undefined
        ? at('required field is missing')
        : at(`expected ${issue.expected}, got ${describeType(issue.input)}`);
    case 'invalid_value':
      return at(`must be ${issue.values.map((v) => echo(v)).join(' or ')}, got ${echo(issue.input)}`);
    case 'too_small':
      return at(
        issue.origin === 'array'
          ? `must have at least ${issue.minimum} item(s)`
          : `too small (minimum ${issue.minimum})`,
      );
    case 'too_big':
      return at(
        issue.origin === 'array' ? `must have at most ${issue.maximum} item(s)` : `too big (maximum ${issue.maximum})`,
      );
    case 'invalid_key':
      return at(`invalid key: ${issue.issues[0]?.message ?? 'not allowed'}`);
    case 'invalid_union':
      return convertUnion(file, path, issue);
    case 'invalid_format':
    case 'custom':
      // Our schemas give these a fixed message; add the offending value, short and escaped.
      return at(issue.input === undefined ? issue.message : `${issue.message}, got ${echo(issue.input)}`);
    default:
      return at(issue.message);
  }
}

function convertUnion(file: string, path: Path, issue: Extract<ZodIssue, { code: 'invalid_union' }>): StateIssue[] {
  // A branch whose root type matched the input explains the failure; if there is exactly one, use it.
  const matching = issue.errors.filter(
    (branch) => !branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
  );
  if (matching.length === 1 && matching[0] !== undefined) {
    return matching[0].flatMap((inner) => convert(file, [...path, ...pathOf(inner.path)], inner));
  }
  const expected = issue.errors
    .map((branch) => branch.find((inner) => inner.code === 'invalid_type' && inner.path.length === 0))
    .map((inner) => (inner?.code === 'invalid_type' ? inner.expected : 'value'));
  return [stateIssue(file, toPointer(path), `expected ${expected.join(' or ')}, got ${describeType(issue.input)}`)];
}
