/**
 * Two iptables backends in one target. The kernel runs the hooks of both the legacy (x_tables)
 * and the nft tables, so a packet passes only if both accept. One shell reads both
 * (`iptables-legacy-save`, a mark, `iptables-nft-save`: one exec, as before); the cell is written
 * where it already lives, chosen as Calico Felix does (felix/environment/feature_detect_linux.go):
 * the backend holding our jump, else the one with more rules, legacy winning a tie. When neither
 * holds a rule (a fresh target) the target's own default `iptables` is kept, so our rules sit
 * beside wg-quick's and Docker's, which use that default too.
 */
import { JUMP_COMMENT, TABLES, type ObservedIptables } from '../model/iptables.js';
import type { BackendView, IptablesBackend, Observation } from '../model/observed-cell.js';
import { parseIptablesSave } from './parse-iptables-save.js';

const MARK = '# pic-reconciler: backend';
/** The shell that prints `iptables -V`, then each backend's dump after a mark line; a target without both tools prints plain `iptables-save`. */
export const SAVE_BOTH = [
  'if command -v iptables-legacy-save >/dev/null 2>&1 && command -v iptables-nft-save >/dev/null 2>&1; then',
  `echo "${MARK} default $(iptables -V 2>/dev/null)"; echo '${MARK} legacy'; iptables-legacy-save || exit; echo '${MARK} nft'; exec iptables-nft-save;`,
  'fi; exec iptables-save',
].join(' ');

/** The restore tool of a backend; null (a single-backend target) is the default `iptables-restore`. */
export function restoreProgram(backend: IptablesBackend | null): string {
  return backend === null ? 'iptables-restore' : `iptables-${backend}-restore`;
}

export interface BackendsRead {
  readonly iptables: Observation<ObservedIptables>;
  readonly backend: BackendView;
}

const SINGLE: BackendView = { writes: null, other: null };

function ruleCount(tables: ObservedIptables): number {
  let count = 0;
  for (const table of TABLES) for (const chain of tables[table].chains.values()) count += chain.rules.length;
  return count;
}

function holdsJump(tables: ObservedIptables): boolean {
  for (const table of TABLES) {
    for (const chain of tables[table].chains.values()) {
      if (chain.builtin && chain.rules.some((rule) => typeof rule === 'string' && rule.includes(JUMP_COMMENT)))
        return true;
    }
  }
  return false;
}

/** Felix's choice, with a fresh target keeping its default. */
export function chooseBackend(
  legacy: ObservedIptables,
  nft: ObservedIptables,
  fallback: IptablesBackend,
): IptablesBackend {
  const [jumpLegacy, jumpNft] = [holdsJump(legacy), holdsJump(nft)];
  if (jumpLegacy !== jumpNft) return jumpLegacy ? 'legacy' : 'nft';
  const [inLegacy, inNft] = [ruleCount(legacy), ruleCount(nft)];
  if (inLegacy === 0 && inNft === 0) return fallback;
  return inNft > inLegacy ? 'nft' : 'legacy';
}

/** True for the output of SAVE_BOTH on a target with both backends (plain `iptables-save` output otherwise). */
export function hasBackendMarks(output: string): boolean {
  return output.startsWith(MARK);
}

/** The output of SAVE_BOTH → the tables of the backend we write, and the other backend's. */
export function parseBackendsOutput(locator: string, output: string): BackendsRead {
  if (!hasBackendMarks(output)) {
    const parsed = parseIptablesSave(output);
    return {
      iptables: parsed.ok
        ? { ok: true, value: parsed.value }
        : { ok: false, error: `${locator}: iptables-save: ${parsed.error}` },
      backend: SINGLE,
    };
  }
  const parts = new Map<string, string>();
  let fallback: IptablesBackend = 'nft';
  for (const part of output.split(`${MARK} `).slice(1)) {
    const newline = part.indexOf('\n');
    const head = newline < 0 ? part : part.slice(0, newline);
    if (head.startsWith('default')) fallback = head.includes('legacy') ? 'legacy' : 'nft';
    else parts.set(head.trim(), newline < 0 ? '' : part.slice(newline + 1));
  }
  const legacy = parseIptablesSave(parts.get('legacy') ?? '');
  const nft = parseIptablesSave(parts.get('nft') ?? '');
  if (!legacy.ok)
    return { iptables: { ok: false, error: `${locator}: iptables-legacy-save: ${legacy.error}` }, backend: SINGLE };
  if (!nft.ok)
    return { iptables: { ok: false, error: `${locator}: iptables-nft-save: ${nft.error}` }, backend: SINGLE };
  const chosen = chooseBackend(legacy.value, nft.value, fallback);
  const [ours, other] = chosen === 'legacy' ? [legacy.value, nft.value] : [nft.value, legacy.value];
  // The default `iptables-restore` already is the chosen backend: nothing changes for such a target.
  const writes = chosen === fallback ? null : chosen;
  return {
    iptables: { ok: true, value: ours },
    backend: { writes, other: { name: chosen === 'legacy' ? 'nft' : 'legacy', iptables: other } },
  };
}

/** The backend the cell's tables were read from, for reports: null when the target has one. */
export function ownBackend(view: BackendView): IptablesBackend | null {
  if (view.writes !== null) return view.writes;
  if (view.other === null) return null;
  return view.other.name === 'legacy' ? 'nft' : 'legacy';
}
