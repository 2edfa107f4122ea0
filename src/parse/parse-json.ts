/**
 * JSON text → value, with an error as one line naming line and column: the one JSON reader for
 * every file an operator writes (state files, the controller config), so their errors read alike.
 * Kept apart from the state-file parser so the config can use it without loading the schemas.
 */

const UTF8_BOM = '\ufeff';

/** JSON.parse without a BOM, with the error as one line and a line/column when V8 gives a position. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  const body = text.startsWith(UTF8_BOM) ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    // V8 may quote the input ("…" is not valid JSON); never echo it.
    const reason = raw
      .replace(/, ".*is not valid JSON$/s, '')
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/ \(line \d+ column \d+\)$/, '');
    const position = /at position (\d+)/.exec(raw);
    if (position?.[1] === undefined) return { ok: false, message: `invalid JSON: ${reason}` };
    const offset = Number(position[1]);
    const before = body.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return { ok: false, message: `invalid JSON at line ${line} column ${column}: ${reason}` };
  }
}
