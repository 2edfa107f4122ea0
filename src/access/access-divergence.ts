/**
 * Verify's second question, after "does the rule text match?": "does the access?". The live
 * tables (our backend and the other one, which the kernel enforces too) and the rendered rules
 * are judged by the packet model on the same routing, so a pair that differs is decided by a
 * rule we do not own: a foreign rule ahead of our jump, a policy, the other backend.
 */
import type { DesiredState } from '../model/desired-state.js';
import type { Facts, LayoutConfig } from '../model/facts.js';
import { JUMP_COMMENT, OWNED_CHAIN_PREFIX, TABLES, type ObservedIptables } from '../model/iptables.js';
import type { AccessMatrixCell, AccessMatrixView } from '../model/access-matrix-view.js';
import type { Dataplane, PathStep, Ruleset } from './access-types.js';
import { evaluatePair, matrixAxes, withRulesets } from './access-matrix.js';
import { assumedWireguardAddress, desiredDataplane } from './build-dataplane.js';
import { assumedApiAddress } from './evaluate-access-tests.js';
import { endpointContext, type EndpointContext } from './resolve-endpoints.js';

/**
 * Most pairs one check evaluates, each on both sides: about 0.4 s on a 100-peer cell and 2 s on
 * a 5,000-peer one (the bench's per-pair figures). Services, internet and api come first, so a
 * large cell's budget covers what its peers reach before peer-to-peer pairs.
 */
export const MAX_CHECKED_PAIRS = 4_000;

export interface DivergedPair {
  readonly from: string;
  readonly to: string;
  readonly live: boolean | null;
  readonly desired: boolean | null;
  /** The live rule that decided (foreign, a policy, or the other backend's). */
  readonly decidedBy: PathStep | null;
}

export interface AccessCheck {
  readonly diverged: readonly DivergedPair[];
  /** Pairs evaluated, and all pairs of the matrix: fewer are checked on a large cell (services, internet and api first). */
  readonly checked: number;
  readonly total: number;
}

export interface LiveTables {
  readonly ours: ObservedIptables;
  /** The other iptables backend's tables, when the target has two. */
  readonly other: Ruleset | null;
  /** Name of our backend ('legacy', 'nft' or 'live'). */
  readonly name: string;
}

/** True when a table set holds something the model would meet besides our jumps: a foreign rule in a built-in chain or a policy other than ACCEPT. */
export function hasForeignEffect(tables: ObservedIptables, jumpsAreOurs = true): boolean {
  for (const table of TABLES) {
    for (const chain of tables[table].chains.values()) {
      if (!chain.builtin) continue;
      if (chain.policy !== null && chain.policy !== 'ACCEPT') return true;
      if (chain.rules.some((rule) => !jumpsAreOurs || typeof rule !== 'string' || !rule.includes(JUMP_COMMENT)))
        return true;
    }
  }
  return false;
}

/** How many pairs the matrix has: every row by every column, less each peer's own. */
function pairCount(state: DesiredState): number {
  const { rows, columns } = matrixAxes(state);
  return rows.length * columns.length - state.peers.length;
}

/** The first `budget` pairs in checking order: every row's non-peer columns, then peer columns. Never the whole matrix of a large cell. */
function pairs(state: DesiredState, budget: number): [string, string][] {
  const { rows, columns } = matrixAxes(state);
  const peers = new Set(state.peers.map((p) => p.name));
  const ordered: [string, string][] = [];
  for (const pass of [false, true]) {
    for (const from of rows) {
      for (const to of columns) {
        if (ordered.length >= budget) return ordered;
        if (peers.has(to) === pass && from !== to) ordered.push([from, to]);
      }
    }
  }
  return ordered;
}

/** Every checked pair whose live access differs from the rendered rules', with the live rule that decided. */
export function accessDivergence(
  state: DesiredState,
  facts: Facts,
  layout: LayoutConfig,
  live: LiveTables,
  budget = MAX_CHECKED_PAIRS,
): AccessCheck {
  if (!foreignRulesAct(live)) {
    // Only our jumps in the built-in chains: the live tables decide as the rendered ones do.
    const total = pairCount(state);
    return { diverged: [], checked: total, total };
  }
  const { desired, actual, ctx } = dataplanesOf(state, facts, layout, live);
  const list = pairs(state, budget);
  const total = pairCount(state);
  const diverged: DivergedPair[] = [];
  for (const [from, to] of list) {
    const want = evaluatePair(desired, ctx, from, to);
    const got = evaluatePair(actual, ctx, from, to);
    if (want === null || got === null || want.reaches === got.reaches) continue;
    diverged.push({ from, to, live: got.reaches, desired: want.reaches, decidedBy: got.decidedBy });
  }
  return { diverged, checked: list.length, total };
}

/** Most pairs the status page's matrix holds: a small cell's whole matrix, never a large one's. */
export const MAX_VIEW_PAIRS = 2_500;

/**
 * The whole matrix for `/status` and the status page: who reaches what by the live rules, each
 * cell marked where the desired state decides otherwise; null for a cell with more pairs than
 * `maxPairs` (the page then says it is not available).
 */
export function accessMatrixView(
  state: DesiredState,
  facts: Facts,
  layout: LayoutConfig,
  live: LiveTables,
  maxPairs = MAX_VIEW_PAIRS,
): AccessMatrixView | null {
  if (pairCount(state) > maxPairs) return null;
  const { desired, actual, ctx } = dataplanesOf(state, facts, layout, live);
  const same = !foreignRulesAct(live);
  const axes = matrixAxes(state);
  const cells = axes.rows.map((from) =>
    axes.columns.map((to): AccessMatrixCell => {
      const want = evaluatePair(desired, ctx, from, to);
      const got = same ? want : evaluatePair(actual, ctx, from, to);
      if (want === null || got === null) return { reaches: null, differs: false, detail: 'itself' };
      const step = got.decidedBy;
      const detail = step === null ? got.reason : `${step.table} ${step.chain} rule ${step.index} (${step.owner})`;
      return { reaches: got.reaches, differs: want.reaches !== got.reaches, detail };
    }),
  );
  return { rows: axes.rows, columns: axes.columns, cells };
}

function foreignRulesAct(live: LiveTables): boolean {
  return (live.other !== null && hasForeignEffect(live.other.iptables, false)) || hasForeignEffect(live.ours);
}

/** The rendered rules' dataplane, the same with the live rulesets instead, and the endpoints' context. */
function dataplanesOf(
  state: DesiredState,
  facts: Facts,
  layout: LayoutConfig,
  live: LiveTables,
): { desired: Dataplane; actual: Dataplane; ctx: EndpointContext } {
  const apiIp = facts.apiIp ?? assumedApiAddress(state);
  const desired = desiredDataplane(state, { apiIp }, layout, new Map());
  const rulesets: Ruleset[] = [{ name: live.name, iptables: live.ours }, ...(live.other === null ? [] : [live.other])];
  const actual = withRulesets(desired, rulesets);
  const ctx = endpointContext(state, layout, desired.routing, {
    wireguardAddress: assumedWireguardAddress(state),
    apiIp,
  });
  return { desired, actual, ctx };
}

/** `bob → mail: live drop, desired accept, decided by filter FORWARD rule 1 (foreign, nft): -d 172.20.0.21/32 -j DROP`. */
export function describeDivergence(pair: DivergedPair): string {
  const word = (r: boolean | null): string => (r === null ? 'unknown' : r ? 'reaches' : 'blocked');
  const step = pair.decidedBy;
  const by =
    step === null
      ? 'decided by routing'
      : `decided by ${step.table} ${step.chain} ${step.index === 0 ? 'policy' : `rule ${step.index}`} (${step.owner}, ${step.ruleset}): ${step.rule}`;
  return `${pair.from} → ${pair.to}: live ${word(pair.live)}, desired ${word(pair.desired)}, ${by}`;
}

/**
 * What the check depends on besides the desired state: every chain that is not ours in our
 * backend (after a converged pass our chains are the rendered ones) and the whole other backend.
 */
export function divergenceKey(live: LiveTables): string {
  const parts: string[] = [live.name];
  const add = (tables: ObservedIptables, all: boolean): void => {
    for (const table of TABLES) {
      for (const chain of tables[table].chains.values()) {
        if (!all && chain.name.startsWith(OWNED_CHAIN_PREFIX)) continue;
        parts.push(
          `${table} ${chain.name} ${chain.policy ?? '-'}`,
          ...chain.rules.map((r) => (typeof r === 'string' ? r : r.text)),
        );
      }
    }
  };
  add(live.ours, false);
  if (live.other !== null) add(live.other.iptables, true);
  return parts.join('\n');
}
