import type { AccessTest, Cell, CellLink, Peer } from '../model/desired-state.js';
import { convertZodIssues } from './convert-zod-issues.js';
import { parseJson } from '../parse/parse-json.js';
import { resolveCell } from './resolve-cell.js';
import { FILE_SCHEMAS, isFileKind, type FileCellLink, type FilePeer } from './schemas.js';
import { describeType, echo, stateIssue, toPointer, type StateIssue } from '../text/state-issue.js';

/** A Peer before the Cell is known: `service_access` null means "all the cell's services". */
export type PendingPeer = Omit<Peer, 'service_access'> & { readonly service_access: readonly string[] | null };

export type ParsedResource = Cell | PendingPeer | CellLink | AccessTest;

export interface ParsedItem {
  /** JSON pointer of the resource inside its file: `` or `/<index>`. */
  readonly pointer: string;
  readonly resource: ParsedResource;
}

export type ParsedFile =
  | { readonly ok: true; readonly items: readonly ParsedItem[] }
  | { readonly ok: false; readonly issues: readonly StateIssue[] };

/**
 * One state file's text → its resources, each checked on its own (shape, characters,
 * defaults, VIPs). A file is all or nothing: one bad item fails the whole file, so it
 * keeps its last good version as a unit.
 */
export function parseStateFile(file: string, text: string): ParsedFile {
  const json = parseJson(text);
  if (!json.ok) return { ok: false, issues: [stateIssue(file, '', json.message)] };

  const value = json.value;
  let entries: { path: (string | number)[]; value: unknown }[];
  if (Array.isArray(value)) entries = value.map((item, i) => ({ path: [i], value: item }));
  else if (isPlainObject(value)) entries = [{ path: [], value }];
  else
    return {
      ok: false,
      issues: [stateIssue(file, '', `must hold a resource object or an array of them, got ${describeType(value)}`)],
    };

  const issues: StateIssue[] = [];
  const items: ParsedItem[] = [];
  for (const entry of entries) {
    const item = parseItem(file, entry.path, entry.value);
    if ('issues' in item) issues.push(...item.issues);
    else items.push(item);
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, items };
}

function parseItem(file: string, path: (string | number)[], value: unknown): ParsedItem | { issues: StateIssue[] } {
  const fail = (where: (string | number)[], message: string) => ({
    issues: [stateIssue(file, toPointer(where), message)],
  });
  if (!isPlainObject(value)) return fail(path, `expected a resource object, got ${describeType(value)}`);
  const kind = value['kind'];
  if (kind === undefined) return fail([...path, 'kind'], 'required field is missing');
  if (!isFileKind(kind))
    return fail([...path, 'kind'], `unknown kind ${echo(kind)}; expected "Cell", "Peer", "CellLink" or "AccessTest"`);

  const pointer = toPointer(path);
  const problemsAt = (problems: readonly { path: readonly (string | number)[]; message: string }[]) => ({
    issues: problems.map((p) => stateIssue(file, toPointer([...path, ...p.path]), p.message)),
  });
  switch (kind) {
    case 'Cell': {
      const parsed = FILE_SCHEMAS.Cell.safeParse(value, { reportInput: true });
      if (!parsed.success) return { issues: convertZodIssues(file, path, parsed.error.issues) };
      const resolved = resolveCell(parsed.data);
      return 'problems' in resolved ? problemsAt(resolved.problems) : { pointer, resource: resolved.cell };
    }
    case 'Peer': {
      const parsed = FILE_SCHEMAS.Peer.safeParse(value, { reportInput: true });
      if (!parsed.success) return { issues: convertZodIssues(file, path, parsed.error.issues) };
      const problems = duplicates(parsed.data.service_access ?? []).map((i) => ({
        path: ['service_access', i],
        message: 'duplicate service',
      }));
      return problems.length > 0 ? problemsAt(problems) : { pointer, resource: pendingPeer(parsed.data) };
    }
    case 'CellLink': {
      const parsed = FILE_SCHEMAS.CellLink.safeParse(value, { reportInput: true });
      if (!parsed.success) return { issues: convertZodIssues(file, path, parsed.error.issues) };
      if ((parsed.data.domain === null) !== (parsed.data.dns_ip === null)) {
        const missing = parsed.data.domain === null ? 'domain' : 'dns_ip';
        return problemsAt([{ path: [missing], message: 'domain and dns_ip must be set together (or both null)' }]);
      }
      return { pointer, resource: cellLink(parsed.data) };
    }
    case 'AccessTest': {
      const parsed = FILE_SCHEMAS.AccessTest.safeParse(value, { reportInput: true });
      if (!parsed.success) return { issues: convertZodIssues(file, path, parsed.error.issues) };
      const { $schema: _schema, ...test } = parsed.data;
      return { pointer, resource: test };
    }
  }
}

function pendingPeer(p: FilePeer): PendingPeer {
  return {
    kind: 'Peer',
    name: p.name,
    ip: p.ip,
    internet_access: p.internet_access,
    service_access: p.service_access ?? null,
    peer_access: p.peer_access,
    route_via: p.route_via,
  };
}

function cellLink(l: FileCellLink): CellLink {
  return {
    kind: 'CellLink',
    name: l.name,
    vpn_subnet: l.vpn_subnet,
    domain: l.domain,
    dns_ip: l.dns_ip,
    wg_ip: l.wg_ip,
    permissions: { inbound: { ...l.permissions.inbound } },
    remote_exit_relay_active: l.remote_exit_relay_active,
  };
}

/** Indexes of entries that repeat an earlier one. */
function duplicates(values: readonly string[]): number[] {
  const seen = new Set<string>();
  const repeated: number[] = [];
  values.forEach((value, i) => {
    if (seen.has(value)) repeated.push(i);
    seen.add(value);
  });
  return repeated;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
