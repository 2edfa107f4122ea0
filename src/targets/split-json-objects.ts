/**
 * Splits a stream of JSON objects (Docker's event stream: one per line, or simply concatenated)
 * at object boundaries, whatever the chunking. Brace depth is tracked outside strings only, so
 * braces and quotes inside values do not confuse it.
 */

export interface SplitObjects {
  /** Each complete object, parsed; one that does not parse is skipped. */
  readonly objects: readonly unknown[];
  /** The start of an unfinished object; pass it back with the next chunk. */
  readonly rest: string;
}

// A stream that never closes its object would otherwise grow without bound.
export const MAX_PENDING_CHARS = 1 << 20;

export function splitJsonObjects(pending: string, chunk: string): SplitObjects {
  const text = pending + chunk;
  const objects: unknown[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (depth === 0) {
      // Between objects: newlines, spaces, or stray bytes; none of it is an object.
      continue;
    } else if (c === '"') {
      inString = true;
    } else if (c === '}') {
      depth--;
      if (depth === 0) {
        const parsed = parseOrSkip(text.slice(start, i + 1));
        if (parsed !== SKIP) objects.push(parsed);
        start = -1;
      }
    }
  }
  const rest = start < 0 ? '' : text.slice(start);
  return { objects, rest: rest.length > MAX_PENDING_CHARS ? '' : rest };
}

const SKIP = Symbol('skip');

function parseOrSkip(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return SKIP;
  }
}
