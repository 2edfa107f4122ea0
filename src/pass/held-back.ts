import { resourceKey, resourcesByKey, type LoadedState, type ResourceKey } from '../load/loaded-state.js';
import type { Resource } from '../model/desired-state.js';
import type { ObservedCell } from '../model/observed-cell.js';
import type { RenderedCell } from '../model/rendered-cell.js';
import { cellChainName, peerChainName } from '../model/chain-names.js';
import { keepLive } from './preserve-unattributed.js';

/** What one broken file keeps from being changed or deleted: resource keys, or live chains nobody else accounts for. */
export interface HeldBack {
  readonly file: string;
  readonly reason: 'last-good' | 'unattributed';
  readonly resources: readonly string[];
}

/**
 * Who last held each owned chain: the file its resource was last seen in, valid or since
 * deleted. While a file stays unresolved the history is kept, so a peer whose file was
 * deleted in the same breath as another file broke is still known to be gone on purpose.
 */
export interface Accounting {
  readonly chains: ReadonlyMap<string, { readonly file: string; readonly resource: ResourceKey }>;
  /** Every file that ever contributed (possibly nothing): such a file, broken, can hold only its own. */
  readonly files: ReadonlySet<string>;
}

export const NO_ACCOUNTING: Accounting = { chains: new Map(), files: new Set() };

function chainOf(resource: Resource): string | null {
  if (resource.kind === 'Peer') return peerChainName(resource.ip);
  if (resource.kind === 'CellLink') return cellChainName(resource.name);
  return null;
}

/** The accounting after a load that had a state (or the one remembered at startup). */
export function accountFor(previous: Accounting, loaded: LoadedState | null): Accounting {
  if (loaded === null) return previous;
  const keepHistory = loaded.unresolvedFiles.length > 0;
  const chains = new Map(keepHistory ? previous.chains : []);
  const files = new Set(keepHistory ? previous.files : []);
  const byKey = resourcesByKey(loaded.state);
  for (const [file, keys] of loaded.fileResources) {
    files.add(file);
    for (const key of keys) {
      const resource = byKey.get(key);
      const chain = resource === undefined ? null : chainOf(resource);
      if (chain !== null && resource !== undefined) chains.set(chain, { file, resource: resourceKey(resource) });
    }
  }
  return { chains, files };
}

/** A broken file that still has a last good version holds those resources as they were. */
export function heldByFallbacks(loaded: LoadedState): HeldBack[] {
  return loaded.fallbackFiles.flatMap((file) => {
    const resources = loaded.fileResources.get(file) ?? [];
    return resources.length === 0 ? [] : [{ file, reason: 'last-good' as const, resources: [...resources] }];
  });
}

/**
 * Which broken file without a usable last good version may keep a live owned chain that the
 * desired state lacks: the file that held it (its own last good version, now blamed), or, for
 * a chain no known file accounts for, every file never seen valid. Anything else was deleted
 * on purpose and goes: the result is then empty.
 */
export function holdersOf(
  chain: string,
  unresolved: readonly string[],
  accounting: Accounting,
): { files: readonly string[]; reason: HeldBack['reason'] } {
  const last = accounting.chains.get(chain);
  if (last !== undefined) return { files: unresolved.includes(last.file) ? [last.file] : [], reason: 'last-good' };
  return { files: unresolved.filter((file) => !accounting.files.has(file)), reason: 'unattributed' };
}

/**
 * The adjust step of a pass with unresolved files, and what it ended up holding back.
 * `held` is filled once the pass has observed the cell.
 */
export function holdBackUnresolved(
  loaded: LoadedState,
  accounting: Accounting,
): { adjust: (rendered: RenderedCell, observed: ObservedCell) => RenderedCell; held: () => HeldBack[] } {
  const byFile = new Map<string, { reason: HeldBack['reason']; resources: string[] }>();
  const adjust = (rendered: RenderedCell, observed: ObservedCell): RenderedCell => {
    byFile.clear();
    return keepLive(rendered, observed, (chain) => {
      const { files, reason } = holdersOf(chain, loaded.unresolvedFiles, accounting);
      const name = accounting.chains.get(chain)?.resource ?? chain;
      for (const file of files) byFile.set(file, { reason, resources: [...(byFile.get(file)?.resources ?? []), name] });
      return files.length > 0;
    });
  };
  const held = (): HeldBack[] =>
    [...byFile].map(([file, { reason, resources }]) => ({ file, reason, resources: [...resources].sort() }));
  return { adjust, held };
}

/** One line for the log and the Ready message. */
export function describeHeldBack(held: readonly HeldBack[]): string {
  return `held back by broken files: ${held.map((h) => `${h.file} (${h.reason === 'last-good' ? 'last good' : 'unattributed live'}: ${h.resources.join(', ') || 'nothing'})`).join('; ')}`;
}
