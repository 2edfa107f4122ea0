/**
 * Structural sharing: a value deeply equal to its previous version is replaced by that
 * previous object, so later stages can skip unchanged resources with `===`.
 */

/** `next` itself, or `previous` when the two are deeply equal (plain JSON data only). */
export function reuseUnchanged<T>(next: T, previous: T | undefined): T {
  return previous !== undefined && deepEqual(next, previous) ? previous : next;
}

/** `previous` when both arrays hold the same elements (by identity) in the same order. */
export function reuseArray<T>(next: readonly T[], previous: readonly T[] | undefined): readonly T[] {
  if (previous === undefined || previous.length !== next.length) return next;
  return next.every((item, i) => item === previous[i]) ? previous : next;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return ka.every((key) => Object.hasOwn(rb, key) && deepEqual(ra[key], rb[key]));
}
