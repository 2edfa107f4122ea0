/**
 * The shipped JSON Schemas (`schema/*.schema.json`), generated from the zod schemas
 * that validate state files, so editors check exactly what the controller checks
 * (minus relations between resources). Regenerate with
 * `node dist/load/generate-json-schemas.js [outDir]` after changing schemas.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { FILE_SCHEMAS } from './schemas.js';

const SCHEMA_FILES = {
  'cell.schema.json': FILE_SCHEMAS.Cell,
  'peer.schema.json': FILE_SCHEMAS.Peer,
  'celllink.schema.json': FILE_SCHEMAS.CellLink,
  'accesstest.schema.json': FILE_SCHEMAS.AccessTest,
} as const;

/** File name → JSON text (2-space indent, trailing newline). */
export function generateJsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, schema] of Object.entries(SCHEMA_FILES)) {
    // Draft-07 is what most editors support fully; "input" keeps defaulted fields optional.
    const json = z.toJSONSchema(schema, { target: 'draft-07', io: 'input' });
    out[file] = `${JSON.stringify(json, null, 2)}\n`;
  }
  return out;
}

export async function writeJsonSchemas(outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [file, text] of Object.entries(generateJsonSchemas())) {
    const path = join(outDir, file);
    await writeFile(path, text);
    written.push(path);
  }
  return written;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  const written = await writeJsonSchemas(process.argv[2] ?? 'schema');
  process.stdout.write(`${written.join('\n')}\n`);
}
