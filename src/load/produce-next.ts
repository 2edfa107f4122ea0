import { produce, type Draft } from 'immer';
import type { AccessTest, Cell, CellLink, DesiredState, Peer, Resource } from '../model/desired-state.js';

/**
 * Each load produces its state from the previous one with immer, so what did not change keeps
 * its identity by construction (the invariant on DesiredState): immer returns the base object
 * itself when a recipe changed nothing, and only copies the objects on the path to a change.
 */

/** The resource as loaded now, as a new version of `before` (the same object when nothing changed). */
export function nextResource<R extends Resource>(before: R | undefined, loaded: R): R {
  if (before === undefined || before.kind !== loaded.kind) return loaded;
  // A load mostly finds thousands of resources as they were and one changed: comparing plain
  // data is far cheaper than a draft, and gives what produce would (the base itself).
  if (equalJson(before, loaded)) return before;
  return produce(before, (draft) => void assignDeep(draft, loaded)) as R;
}

/** Deep equality of plain JSON data (key order aside), as immer judges a recipe that changed nothing. */
function equalJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  return keys.every((key) => Object.hasOwn(right, key) && equalJson(left[key], right[key]));
}

/** The state made of these resources, as a new version of `previous` (itself when all are the same objects). */
export function nextState(
  previous: DesiredState | null,
  cell: Cell,
  peers: readonly Peer[],
  links: readonly CellLink[],
  tests: readonly AccessTest[] | undefined,
): DesiredState {
  if (previous === null) return tests === undefined ? { cell, peers, links } : { cell, peers, links, tests };
  return produce(previous, (draft) => {
    // Assigning a slot the object it already holds is no change to immer.
    draft.cell = cell as Draft<Cell>;
    assignSlots(draft.peers, peers as Draft<Peer>[]);
    assignSlots(draft.links, links as Draft<CellLink>[]);
    if (tests === undefined) delete draft.tests;
    else if (draft.tests === undefined) draft.tests = tests as Draft<AccessTest>[];
    else assignSlots(draft.tests, tests as Draft<AccessTest>[]);
  });
}

function assignSlots<T>(draft: T[], items: readonly T[]): void {
  if (draft.length !== items.length) draft.length = items.length;
  items.forEach((item, i) => {
    draft[i] = item;
  });
}

/**
 * Writes `value` into the draft field by field: immer marks a field changed only when its value
 * differs, so an equal value leaves the base object in place. Plain JSON data only.
 */
function assignDeep(draft: unknown, value: unknown): void {
  if (Array.isArray(draft) && Array.isArray(value)) {
    if (draft.length !== value.length) draft.length = value.length;
    value.forEach((item: unknown, i) => assignField(draft as unknown[], i, item));
    return;
  }
  const target = draft as Record<string, unknown>;
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(target)) if (!Object.hasOwn(source, key)) delete target[key];
  for (const [key, item] of Object.entries(source)) assignField(target, key, item);
}

function assignField<K extends string | number>(target: Record<K, unknown>, key: K, item: unknown): void {
  const current = target[key];
  const bothObjects = typeof current === 'object' && current !== null && typeof item === 'object' && item !== null;
  if (bothObjects && Array.isArray(current) === Array.isArray(item)) assignDeep(current, item);
  else target[key] = item;
}
