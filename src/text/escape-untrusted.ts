/**
 * Text we did not write (file names, a target's stderr, container names, a remote status)
 * on its way to a terminal: every character that can move the cursor, recolour, hide or
 * reorder what follows is shown as a `\uXXXX` escape (`\n`, `\r`, `\t` for the common three).
 *
 * C0, DEL and C1 (ESC, CSI...), the Unicode line and paragraph separators, the bidi marks,
 * embeddings, overrides and isolates (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069)
 * and the zero-width and invisible characters (U+200B-U+200D, U+2060-U+2064, U+FEFF).
 */
const UNTRUSTED =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

export function escapeUntrusted(text: string): string {
  return text.replace(UNTRUSTED, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Each line escaped on its own: for multi-line text we wrote around untrusted parts (a plan, a status screen). */
export function escapeLines(text: string): string {
  return text.split('\n').map(escapeUntrusted).join('\n');
}

/** Every string in a log record, nested ones too (an error's message and stack, a list of errors). */
export function escapeDeep(value: unknown): unknown {
  if (typeof value === 'string') return escapeUntrusted(value);
  if (value instanceof Error)
    return { type: value.name, message: escapeUntrusted(value.message), stack: escapeLines(value.stack ?? '') };
  if (Array.isArray(value)) return value.map(escapeDeep);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [escapeUntrusted(k), escapeDeep(v)]));
  return value;
}
