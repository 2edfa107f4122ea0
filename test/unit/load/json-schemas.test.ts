import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateJsonSchemas } from '../../../src/load/generate-json-schemas.js';

const SCHEMA_DIR = join(import.meta.dirname, '../../../schema');

describe('shipped JSON Schemas', () => {
  // `npm run schemas` regenerates them.
  it('equal the ones generated from the zod schemas', async () => {
    const generated = generateJsonSchemas();
    expect(Object.keys(generated).sort()).toEqual([
      'accesstest.schema.json',
      'cell.schema.json',
      'celllink.schema.json',
      'peer.schema.json',
    ]);
    for (const [file, text] of Object.entries(generated)) {
      expect(await readFile(join(SCHEMA_DIR, file), 'utf8'), file).toBe(text);
    }
  });

  it('are what the example state files point at', async () => {
    const refs = [
      ['state/cell.json', '../schema/cell.schema.json'],
      ['state/peers/alice.json', '../../schema/peer.schema.json'],
      ['state/cells/paris.json', '../../schema/celllink.schema.json'],
    ] as const;
    const tests = JSON.parse(await readFile(join(SCHEMA_DIR, '..', 'state/tests/access.json'), 'utf8')) as {
      $schema: string;
    }[];
    expect(tests.map((t) => t.$schema)).toEqual(tests.map(() => '../../schema/accesstest.schema.json'));
    for (const [file, ref] of refs) {
      const json = JSON.parse(await readFile(join(SCHEMA_DIR, '..', file), 'utf8')) as { $schema: string };
      expect(json.$schema).toBe(ref);
      await expect(readFile(join(SCHEMA_DIR, '..', file, '..', ref), 'utf8')).resolves.toContain(
        '"additionalProperties": false',
      );
    }
  });

  it('reject unknown fields, restrict names and carry the defaults', () => {
    const cell = JSON.parse(generateJsonSchemas()['cell.schema.json'] ?? '{}') as {
      additionalProperties: boolean;
      required: string[];
      properties: Record<string, { default?: unknown; pattern?: string }>;
    };
    expect(cell.additionalProperties).toBe(false);
    expect(cell.required).toEqual(['kind', 'name']);
    expect(cell.properties['name']?.pattern).toBe('^[a-z0-9][a-z0-9-]{0,31}$');
    expect(cell.properties['unknown_peers']?.default).toBe('drop');
    expect(cell.properties['ip_range']?.default).toBe('172.20.0.0/16');
  });
});
