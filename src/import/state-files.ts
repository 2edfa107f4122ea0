import type { ImportedState } from './imported-state.js';

/** One file to write, relative to the output directory (posix separators). */
export interface StateFileText {
  readonly path: string;
  readonly text: string;
}

/** The shipped JSON Schema of each kind, in the package's `schema/` folder. */
export const SCHEMA_FILES = {
  Cell: 'cell.schema.json',
  Peer: 'peer.schema.json',
  CellLink: 'celllink.schema.json',
} as const;

/**
 * `$schema` for a file: the command knows where the package's schema folder is and where
 * the files go, so it supplies the reference (a path relative to the file, which editors follow).
 */
export type SchemaRef = (file: string, schemaFile: string) => string;

/**
 * The state as files in the suggested layout: cell.json, peers/<name>.json,
 * cells/<name>.json. Two-space JSON, arrays of plain values on one line, a final newline:
 * the same state always gives the same bytes.
 */
export function stateFiles(state: ImportedState, schemaRef: SchemaRef): StateFileText[] {
  const file = (
    path: string,
    resource: ImportedState['cell'] | ImportedState['peers'][number] | ImportedState['links'][number],
  ): StateFileText => ({
    path,
    text: formatJson({ $schema: schemaRef(path, SCHEMA_FILES[resource.kind]), ...resource }),
  });
  return [
    file('cell.json', state.cell),
    ...state.peers.map((peer) => file(`peers/${peer.name}.json`, peer)),
    ...state.links.map((link) => file(`cells/${link.name}.json`, link)),
  ];
}

/** JSON.stringify with two spaces, but `["a", "b"]` kept on one line as people write it. */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  return `${text.replace(/\[\n\s*((?:"[^"\n]*"|[0-9.eE+-]+|true|false|null)(?:,\n\s*(?:"[^"\n]*"|[0-9.eE+-]+|true|false|null))*)\n\s*\]/g, (_, items: string) => `[${items.split(/,\n\s*/).join(', ')}]`)}\n`;
}
