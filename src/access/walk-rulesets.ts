/**
 * One hook's chain in every iptables backend: the kernel runs them all, so the packet passes only
 * when each accepts. The deciding step is the one that dropped, or the accept of the backend that
 * holds the cell (the first ruleset); an empty backend's policy decides only when it drops.
 */
import type { ObservedIptables, TableName } from '../model/iptables.js';
import { TABLES } from '../model/iptables.js';
import type { Dataplane, PathStep } from './access-types.js';
import type { MatchContext } from './match-rule.js';
import { walkChain, type ChainOutcome } from './walk-chain.js';

export type Stop = { readonly verdict: 'drop' | 'unknown'; readonly step: PathStep | null; readonly reason: string };

const empty = new WeakMap<ObservedIptables, boolean>();

/** True when no chain of the backend holds a rule (most machines' second backend). */
export function holdsNoRules(iptables: ObservedIptables): boolean {
  let known = empty.get(iptables);
  if (known === undefined) {
    known = TABLES.every((t) => [...iptables[t].chains.values()].every((c) => c.rules.length === 0));
    empty.set(iptables, known);
  }
  return known;
}

/** Walks `chain` in every ruleset; nat stops at the first rewrite (the kernel binds NAT once per connection). */
export function walkAll(
  dataplane: Dataplane,
  table: TableName,
  chain: string,
  ctx: () => MatchContext,
  path: PathStep[],
): ChainOutcome | Stop | null {
  let accepted: ChainOutcome | null = null;
  for (const [i, ruleset] of dataplane.rulesets.entries()) {
    // Every hook crosses every table, so an unseen table leaves no verdict standing.
    const blind = ruleset.iptables.blindSpots?.[0];
    if (blind !== undefined) return { verdict: 'unknown', step: null, reason: `${ruleset.name}: ${blind}` };
    const walk = walkChain({
      ruleset: ruleset.name,
      tableName: table,
      table: ruleset.iptables[table],
      chain,
      ctx: ctx(),
      sourceOf: dataplane.sourceOf,
    });
    const outcome = walk.outcome;
    // Another backend without a single rule that lets the packet pass says nothing: its policy step is left out.
    if (!(i > 0 && outcome.kind === 'accept' && holdsNoRules(ruleset.iptables))) path.push(...walk.path);
    if (outcome.kind === 'unknown') return { verdict: 'unknown', step: outcome.step, reason: outcome.reason };
    if (outcome.kind === 'drop')
      return { verdict: 'drop', step: outcome.step, reason: `dropped at ${describeStep(outcome.step)}` };
    if (outcome.kind === 'dnat' || outcome.kind === 'snat') return outcome;
    // The backend holding the cell (listed first) decides an accept; the others only add their drops.
    accepted ??= outcome;
  }
  return accepted;
}

/** Everything the backends' dumps could not show, each named with its backend. */
export function blindSpotsOf(dataplane: Dataplane): string[] {
  return dataplane.rulesets.flatMap((r) => (r.iptables.blindSpots ?? []).map((spot) => `${r.name}: ${spot}`));
}

export function isStop(value: ChainOutcome | Stop | null): value is Stop {
  return value !== null && 'verdict' in value;
}

export function describeStep(step: PathStep): string {
  return step.index === 0 ? `${step.chain} policy` : `${step.chain} rule ${step.index}`;
}
