import { DEFAULT_LAYOUT, type LayoutConfig } from '../model/facts.js';
import {
  BUILTIN_CHAINS,
  JUMP_COMMENT,
  OWNED_CHAIN_PREFIX,
  TABLES,
  isOpaqueRule,
  readableRules,
  type IptablesModel,
  type ObservedRule,
  type ObservedIptables,
  type ObservedTable,
  type TableModel,
  type TableName,
} from '../model/iptables.js';
import { ruleComment } from '../model/iptables-rule.js';
import type { IptablesAction } from '../model/plan.js';
import { computeChainEdits } from './chain-edits.js';
import { legacySeedRuleReason } from './legacy-seed-rules.js';

/**
 * The iptables actions that turn the observed tables into the desired ones.
 *
 * Ours are the chains named `PIC-*` and the rules commented `pic:jump` in built-in
 * chains; besides those, only the seed's leftovers (legacy-seed-rules.ts) are touched.
 * Desired chains or jumps outside that (a render bug) are ignored rather than applied.
 *
 * Order per table: create-chain, update-chain, delete-rule, insert-jump, delete-chain,
 * each in desired (or dump) order, so the same inputs always give the same plan.
 *
 * A table with an unreadable (opaque) rule of ours gets no action at all (unreadableOwnedRules
 * says why); an opaque foreign rule only holds its position in its chain.
 */
export function planIptables(
  desired: IptablesModel,
  observed: ObservedIptables,
  layout: LayoutConfig = DEFAULT_LAYOUT,
): IptablesAction[] {
  const blocked = new Set(unreadableOwnedRules(observed).map((u) => u.table));
  return TABLES.filter((table) => !blocked.has(table)).flatMap((table) => {
    const chains = planChains(table, desired[table], observed[table]);
    return [...chains.upserts, ...planBuiltins(table, desired[table], observed[table], layout), ...chains.deletes];
  });
}

/** An opaque rule the controller could own: in a `PIC-*` chain, or a line naming our jump comment. */
export function unreadableOwnedRules(
  observed: ObservedIptables,
): { readonly table: TableName; readonly error: string }[] {
  return TABLES.flatMap((table) =>
    [...observed[table].chains.values()].flatMap((chain) =>
      chain.rules
        .filter(isOpaqueRule)
        // Text that names our chains or our jump may hold a rule of ours (an unreadable rule can swallow the lines after it).
        .filter(
          (rule) =>
            isOwnedChain(chain.name) || rule.text.includes(JUMP_COMMENT) || rule.text.includes(OWNED_CHAIN_PREFIX),
        )
        .slice(0, 1)
        .map((rule) => ({
          table,
          error: `table ${table} chain ${chain.name}: our rule cannot be read (${rule.reason}): ${JSON.stringify(rule.text.slice(0, 80))}; nothing planned for table ${table}`,
        })),
    ),
  );
}

/** One line per opaque foreign rule, for the plan's warnings. */
export function unreadableForeignRules(observed: ObservedIptables): string[] {
  return TABLES.flatMap((table) =>
    [...observed[table].chains.values()].flatMap((chain) =>
      chain.rules
        .filter(isOpaqueRule)
        .filter((rule) => !isOwnedChain(chain.name) && !rule.text.includes(JUMP_COMMENT))
        .map(
          (rule) =>
            `table ${table} chain ${chain.name}: a foreign rule cannot be read (${rule.reason}) and is left as it is: ${JSON.stringify(rule.text.slice(0, 80))}`,
        ),
    ),
  );
}

function isOwnedChain(name: string): boolean {
  return name.startsWith(OWNED_CHAIN_PREFIX);
}

function planChains(
  table: TableName,
  desired: TableModel,
  observed: ObservedTable,
): { upserts: IptablesAction[]; deletes: IptablesAction[] } {
  const creates: IptablesAction[] = [];
  const updates: IptablesAction[] = [];
  const wanted = new Set<string>();
  for (const chain of desired.chains) {
    if (!isOwnedChain(chain.name) || wanted.has(chain.name)) continue;
    wanted.add(chain.name);
    const live = observed.chains.get(chain.name);
    if (live === undefined) {
      creates.push({ kind: 'create-chain', table, chain: chain.name, rules: chain.rules, reason: 'chain missing' });
      continue;
    }
    const edits = computeChainEdits(readableRules(live.rules), chain.rules);
    if (edits.length > 0)
      updates.push({ kind: 'update-chain', table, chain: chain.name, edits, reason: editReason(edits) });
  }
  const deletes: IptablesAction[] = [];
  for (const live of observed.chains.values()) {
    if (live.builtin || !isOwnedChain(live.name) || wanted.has(live.name)) continue;
    deletes.push({
      kind: 'delete-chain',
      table,
      chain: live.name,
      rules: readableRules(live.rules),
      reason: 'chain not in desired state',
    });
  }
  return { upserts: [...creates, ...updates], deletes };
}

function editReason(edits: readonly { op: 'insert' | 'delete' }[]): string {
  const inserts = edits.filter((e) => e.op === 'insert').length;
  const deletes = edits.length - inserts;
  return `${edits.length} ${edits.length === 1 ? 'rule differs' : 'rules differ'} (${inserts} to insert, ${deletes} to delete)`;
}

function planBuiltins(
  table: TableName,
  desired: TableModel,
  observed: ObservedTable,
  layout: LayoutConfig,
): IptablesAction[] {
  const removals: IptablesAction[] = [];
  const inserts: IptablesAction[] = [];
  for (const chain of BUILTIN_CHAINS[table]) {
    const wanted = [
      ...new Set(
        desired.jumps.filter((j) => j.chain === chain && ruleComment(j.rule) === JUMP_COMMENT).map((j) => j.rule),
      ),
    ];
    const wantedSet = new Set(wanted);
    // The chain as it will be once the rules deleted by spec below are gone.
    const kept: ObservedRule[] = [];
    for (const rule of observed.chains.get(chain)?.rules ?? []) {
      if (isOpaqueRule(rule)) {
        kept.push(rule);
        continue;
      }
      const legacy = legacySeedRuleReason(table, chain, rule, layout);
      if (legacy !== null) removals.push({ kind: 'delete-rule', table, chain, rule, reason: legacy });
      else if (ruleComment(rule) === JUMP_COMMENT && !wantedSet.has(rule))
        removals.push({ kind: 'delete-rule', table, chain, rule, reason: 'jump not in desired state' });
      else kept.push(rule);
    }
    const problems = wanted.map((rule, i) => jumpProblem(kept, rule, i + 1));
    if (problems.every((p) => p === null)) continue;
    wanted.forEach((rule, i) => {
      const reason = problems[i] ?? `re-inserted to keep the order of the jumps in ${chain}`;
      for (const live of kept) if (live === rule) removals.push({ kind: 'delete-rule', table, chain, rule, reason });
    });
    // Each insert goes to position 1, so the first desired jump is inserted last.
    for (let i = wanted.length - 1; i >= 0; i--) {
      const rule = wanted[i] as string;
      inserts.push({
        kind: 'insert-jump',
        table,
        chain,
        rule,
        reason: problems[i] ?? `re-inserted to keep the order of the jumps in ${chain}`,
      });
    }
  }
  return [...removals, ...inserts];
}

/** Why a jump is not where it must be (exactly once, at `expected`), or null. */
function jumpProblem(kept: readonly ObservedRule[], rule: string, expected: number): string | null {
  const positions: number[] = [];
  kept.forEach((live, i) => {
    if (live === rule) positions.push(i + 1);
  });
  const first = positions[0];
  if (first === undefined) return 'jump missing';
  if (positions.length > 1) return `jump duplicated (${positions.length} copies, at positions ${positions.join(', ')})`;
  if (first === expected) return null;
  return `jump at position ${first}, expected ${expected}${first > expected ? ' (rule inserted above ours)' : ''}`;
}
