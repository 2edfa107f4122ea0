/**
 * Checks between resources (DESIGN.md §3), with blame.
 *
 * Every problem between two resources is charged to one of them, so that only that
 * resource's file falls back to its last good version:
 *   1. a resource that is already a last-good fallback cannot fall back further, so the
 *      other one is blamed; two fallbacks are both blamed;
 *   2. otherwise a resource whose conflicting field changed since the previous load is
 *      blamed over one whose field did not, then a resource that changed at all over one
 *      that did not (an edit must not evict a live resource, nor block a valid edit of
 *      another field of it: a peer taking bob's IP is blamed even when bob was edited too);
 *   3. otherwise the dependent one: the later in file order, or the one that refers to
 *      the other (a Peer against the Cell or a CellLink, a CellLink against the Cell).
 */
import type { Resource } from '../model/desired-state.js';
import { resourceKey } from './loaded-state.js';
import { stateIssue, toPointer, type StateIssue } from '../text/state-issue.js';

export interface Candidate<R extends Resource = Resource> {
  readonly resource: R;
  readonly file: string;
  /** Pointer of the resource in its file; `` for a fallback, whose text is gone. */
  readonly pointer: string;
  readonly origin: 'new' | 'previous';
  /** Differs from the previous load's resource of the same key (always false for a fallback). */
  readonly changed: boolean;
  /** The previous load's resource of the same key, when there is one. */
  readonly before?: Resource;
  /** Position in file order, then in the file. */
  readonly order: number;
}

export interface Finding {
  readonly blamed: Candidate;
  readonly issue: StateIssue;
}

interface Side {
  readonly candidate: Candidate;
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Charges a problem between two resources to one or both of them (rules in the header). */
export function conflict(reference: Side, dependent: Side): Finding[] {
  const r = reference.candidate;
  const d = dependent.candidate;
  if (r.origin === 'previous' && d.origin === 'previous') return [...blameOne(reference), ...blameOne(dependent)];
  if (r.origin === 'previous') return blameOne(dependent);
  if (d.origin === 'previous') return blameOne(reference);
  const rField = changedAt(reference);
  const dField = changedAt(dependent);
  if (rField !== dField) return blameOne(rField ? reference : dependent);
  if (r.changed && !d.changed) return blameOne(reference);
  return blameOne(dependent);
}

/** Whether the value at the side's path differs from the candidate's previous version (true without one). */
function changedAt(side: Side): boolean {
  const { candidate, path } = side;
  if (!candidate.changed) return false;
  if (candidate.before === undefined) return true;
  return JSON.stringify(valueAt(candidate.resource, path)) !== JSON.stringify(valueAt(candidate.before, path));
}

function valueAt(resource: Resource, path: readonly (string | number)[]): unknown {
  let value: unknown = resource;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

export function blameOne(side: Side): Finding[] {
  const { candidate } = side;
  const issue =
    candidate.origin === 'new'
      ? stateIssue(candidate.file, candidate.pointer + toPointer(side.path), side.message)
      : stateIssue(
          candidate.file,
          '',
          `last good ${resourceKey(candidate.resource)} cannot be kept: ${toPointer(side.path)}: ${side.message}`,
        );
  return [{ blamed: candidate, issue }];
}
