/**
 * Validation problems as values: `{ file, pointer, message }`, printed on one line as
 * `file: /pointer: message`.
 *
 * Everything in an issue may come from a hostile or broken file (keys, values, file
 * names), so issues are built through `stateIssue`, which bounds every part, and
 * `formatIssue` escapes control characters again: a message can never forge a second
 * log line or a fake issue.
 */
import { escapeUntrusted } from './escape-untrusted.js';

export interface StateIssue {
  /** Path relative to the state dir (posix), or `.` for the directory itself. */
  readonly file: string;
  /** JSON pointer into the file (RFC 6901); `` for the whole file. */
  readonly pointer: string;
  /** One line, no control characters. */
  readonly message: string;
}

/** The state directory itself, as the `file` of an issue. */
export const STATE_DIR_FILE = '.';

const MAX_SEGMENT = 64;
const MAX_MESSAGE = 400;
const MAX_ECHO = 40;

/** Control, bidi and zero-width characters as `\n`, `\t` or `\uXXXX`, so the text stays on one line and reads as written. */
export const escapeControl = escapeUntrusted;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** A value from the input, for a message: escaped, quoted when a string, and short. */
export function echo(value: unknown): string {
  if (typeof value === 'string') return escapeControl(JSON.stringify(truncate(value, MAX_ECHO)));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return describeType(value);
}

/** The JSON type of a value, for messages like "expected string, got array". */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** A JSON pointer from path segments; long segments (hostile keys) are shortened. */
export function toPointer(path: readonly (string | number)[]): string {
  return path
    .map((segment) => `/${truncate(String(segment), MAX_SEGMENT).replaceAll('~', '~0').replaceAll('/', '~1')}`)
    .join('');
}

export function stateIssue(file: string, pointer: string, message: string): StateIssue {
  return { file, pointer, message: truncate(escapeControl(message), MAX_MESSAGE) };
}

/**
 * Where an error is, `file: /pointer`; the whole file is pointer `/`. The one spelling of an
 * error's place, for the CLI, the log, /status readers and the webhook alike.
 */
export function formatLocation(file: string, pointer: string): string {
  return `${escapeControl(file)}: ${escapeControl(pointer === '' ? '/' : pointer)}`;
}

/** `file: /pointer: message` on one line. */
export function formatIssue(issue: StateIssue): string {
  return `${formatLocation(issue.file, issue.pointer)}: ${escapeControl(issue.message)}`;
}
