/**
 * State files → LoadedState, purely (no fs): parse and check each file, check the
 * resources against each other, and keep a broken file's last good resources.
 *
 * Last-known-good works per file. A file fails when it cannot be read or parsed, when
 * any of its items is invalid, or when a check between resources blames one of its
 * resources (check-resources.ts). A failed file contributes what it contributed to
 * `previous` instead; if that, too, is blamed (or there is none), it contributes
 * nothing and is listed in `unresolvedFiles`. Each round blames at least one more
 * file, so the loop ends after at most twice the number of files.
 */
import { freeze } from 'immer';
import type { Cell, DesiredState, Peer, Resource } from '../model/desired-state.js';
import { parseIPv4 } from '../model/ipv4.js';
import { checkAccessTests } from './check-access-tests.js';
import type { Candidate, Finding } from './blame-conflict.js';
import { checkCells, checkResources } from './check-resources.js';
import { resourceKey, resourcesByKey, type FileParse, type LoadedState, type ResourceKey } from './loaded-state.js';
import { parseStateFile, type ParsedItem, type ParsedResource } from './parse-state-file.js';
import { nextResource, nextState } from './produce-next.js';
import { formatIssue, STATE_DIR_FILE, stateIssue, type StateIssue } from '../text/state-issue.js';

/** A listed state file: its text, or why it could not be read. */
export type StateFile =
  | { readonly file: string; readonly text: string }
  /** `directory`: a folder that could not be listed (`.` for the state dir): every file under it keeps its last good version. */
  | { readonly file: string; readonly error: string; readonly directory?: boolean };

export interface ValidateOptions {
  readonly previous?: LoadedState;
}

export function validateState(files: readonly StateFile[], options: ValidateOptions = {}): LoadedState {
  const previous = options.previous;
  const previousByKey = resourcesByKey(previous?.state ?? null);
  const previousFiles = previous?.fileResources ?? new Map<string, readonly ResourceKey[]>();
  const issues: StateIssue[] = [];
  const parsed = new Map<string, readonly ParsedItem[]>();
  const parses = new Map<string, FileParse>();
  const failed = new Set<string>();
  const unreadableDirs: string[] = [];

  for (const entry of [...files].sort((a, b) => compareText(a.file, b.file))) {
    if ('error' in entry) {
      issues.push(stateIssue(entry.file, '', entry.error));
      if (entry.directory === true) unreadableDirs.push(entry.file);
      else failed.add(entry.file);
      continue;
    }
    // Parsing is pure: a file whose text is what the previous load parsed has that parse.
    const earlier = previous?.parses?.get(entry.file);
    const result = earlier?.text === entry.text ? earlier.parsed : parseSafely(entry.file, entry.text);
    parses.set(entry.file, { text: entry.text, parsed: result });
    if (result.ok) parsed.set(entry.file, result.items);
    else {
      issues.push(...result.issues);
      failed.add(entry.file);
    }
  }
  // Files we could not even list keep their last good version too.
  for (const file of previousFiles.keys()) {
    if (!parsed.has(file) && unreadableDirs.some((dir) => isUnder(file, dir))) failed.add(file);
  }

  const allFiles = [...new Set([...parsed.keys(), ...failed])].sort(compareText);
  const fileOrder = new Map(allFiles.map((file, i) => [file, i]));
  const dropped = new Set<string>();
  const candidatesOf = (cell: Cell | null): Candidate[] =>
    allFiles.flatMap((file) => {
      const base = (fileOrder.get(file) ?? 0) * 1_000_000;
      if (!failed.has(file)) {
        return (parsed.get(file) ?? []).flatMap((item, i) => {
          const resource = resolveItem(item.resource, cell);
          return resource === null
            ? []
            : [newCandidate(file, base + i, item.pointer, resource, previousByKey, previousFiles)];
        });
      }
      if (dropped.has(file)) return [];
      return (previousFiles.get(file) ?? []).flatMap((key, i) => {
        const resource = previousByKey.get(key);
        return resource === undefined
          ? []
          : [{ resource, file, pointer: '', origin: 'previous' as const, changed: false, order: base + i }];
      });
    });

  let result: { cell: Candidate<Cell>; candidates: Candidate[] } | null = null;
  for (;;) {
    const cells = candidatesOf(null).filter(isKind('Cell'));
    const [cell] = cells;
    if (cell === undefined) break;
    const candidates = candidatesOf(cell.resource);
    const findings: Finding[] =
      cells.length > 1
        ? checkCells(cells)
        : [
            ...checkResources(cell, candidates.filter(isKind('Peer')), candidates.filter(isKind('CellLink'))),
            ...checkAccessTests(
              cell,
              candidates.filter(isKind('Peer')),
              candidates.filter(isKind('CellLink')),
              candidates.filter(isKind('AccessTest')),
            ),
          ];
    if (findings.length === 0) {
      result = { cell, candidates };
      break;
    }
    for (const { blamed, issue } of findings) {
      issues.push(issue);
      if (blamed.origin === 'new') failed.add(blamed.file);
      else dropped.add(blamed.file);
    }
  }

  const unresolved = new Set<string>(unreadableDirs);
  for (const file of failed) if (dropped.has(file) || !previousFiles.has(file)) unresolved.add(file);
  if (result === null) {
    issues.push(stateIssue(STATE_DIR_FILE, '', 'no valid Cell resource: nothing can be reconciled'));
    // No parses: a load without a state is never the next load's `previous`.
    return finish(null, issues, new Map(), [], unresolved);
  }

  const fileResources = new Map<string, ResourceKey[]>();
  const resourcePointers = new Map<ResourceKey, string>();
  for (const candidate of result.candidates) {
    const keys = fileResources.get(candidate.file) ?? [];
    keys.push(resourceKey(candidate.resource));
    fileResources.set(candidate.file, keys);
    if (candidate.origin === 'new') resourcePointers.set(resourceKey(candidate.resource), candidate.pointer);
  }
  const fallbacks = [...failed].filter((file) => !unresolved.has(file));
  // A file that contributes nothing (an empty array) is still known, so it is not "unresolved" next time.
  for (const file of [...parsed.keys(), ...fallbacks])
    if (!unresolved.has(file) && !fileResources.has(file)) fileResources.set(file, []);
  return {
    ...finish(assemble(result.candidates, previous?.state ?? null), issues, fileResources, fallbacks, unresolved),
    resourcePointers,
    parses,
  };
}

function assemble(candidates: readonly Candidate[], previous: DesiredState | null): DesiredState {
  const resources = candidates.map((c) => c.resource);
  const cell = resources.find(isResourceKind('Cell')) as Cell;
  const peers = byAddress(resources.filter(isResourceKind('Peer')));
  const links = resources.filter(isResourceKind('CellLink')).sort((a, b) => compareText(a.name, b.name));
  const found = resources.filter(isResourceKind('AccessTest'));
  return nextState(previous, cell, peers, links, found.length === 0 ? undefined : found);
}

/** Peers in address order, each address parsed once (not once per comparison: thousands of peers). */
function byAddress(peers: Peer[]): Peer[] {
  const keyed = peers.map((peer) => ({ peer, address: parseIPv4(peer.ip) ?? 0 }));
  return keyed.sort((a, b) => a.address - b.address).map((entry) => entry.peer);
}

function finish(
  state: DesiredState | null,
  issues: readonly StateIssue[],
  fileResources: ReadonlyMap<string, readonly ResourceKey[]>,
  fallbackFiles: readonly string[],
  unresolved: ReadonlySet<string>,
): LoadedState {
  // The same problem can be found again in a later round; report it once.
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const line = formatIssue(issue);
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
  return {
    state: state === null ? null : freeze(state, true),
    issues: freeze(unique, true),
    fileResources,
    fallbackFiles: freeze([...fallbackFiles].sort(compareText)),
    unresolvedFiles: freeze([...unresolved].sort(compareText)),
  };
}

function newCandidate(
  file: string,
  order: number,
  pointer: string,
  resolved: Resource,
  previousByKey: ReadonlyMap<ResourceKey, Resource>,
  previousFiles: ReadonlyMap<string, readonly ResourceKey[]>,
): Candidate {
  const key = resourceKey(resolved);
  const before = previousByKey.get(key);
  const resource = nextResource(before, resolved);
  // Blame compares fields with the version this same file held: a resource renamed into another
  // file's name is new here, not an edit of that other resource.
  const own = previousFiles.get(file)?.includes(key) === true ? before : undefined;
  return {
    resource,
    file,
    pointer,
    origin: 'new',
    changed: resource !== before,
    order,
    ...(own === undefined ? {} : { before: own }),
  };
}

/**
 * A parsed resource in the context of the Cell: a Peer's default service_access is
 * every service of the Cell. Without a Cell (null), only Cells can be had.
 */
function resolveItem(resource: ParsedResource, cell: Cell | null): Resource | null {
  if (cell === null) return resource.kind === 'Cell' ? resource : null;
  if (resource.kind !== 'Peer') return resource;
  return { ...resource, service_access: resource.service_access ?? cell.services.map((s) => s.name) };
}

function parseSafely(file: string, text: string): ReturnType<typeof parseStateFile> {
  try {
    return parseStateFile(file, text);
  } catch (error) {
    // Defence in depth: no input may crash the controller (e.g. a stack overflow on absurd nesting).
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
    return { ok: false, issues: [stateIssue(file, '', `could not be checked: ${reason}`)] };
  }
}

function isKind<K extends Resource['kind']>(kind: K) {
  return (c: Candidate): c is Candidate<Extract<Resource, { kind: K }>> => c.resource.kind === kind;
}

function isResourceKind<K extends Resource['kind']>(kind: K) {
  return (r: Resource): r is Extract<Resource, { kind: K }> => r.kind === kind;
}

function isUnder(file: string, dir: string): boolean {
  return dir === STATE_DIR_FILE || file.startsWith(`${dir}/`);
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
