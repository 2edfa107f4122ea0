import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRestoreInput } from '../../../src/apply/restore-input.js';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import {
  BUILTIN_CHAINS,
  TABLES,
  type IptablesModel,
  type JumpRule,
  type ObservedChain,
  type ObservedIptables,
  type ObservedRule,
  type TableName,
} from '../../../src/model/iptables.js';
import { planIptables } from '../../../src/plan/plan-iptables.js';
import { simulateRestore } from '../../helpers/simulate-restore.js';
import { jumpRule } from './fixtures.js';

/**
 * Random desired models against random live tables: foreign chains and rules, partial
 * or garbled copies of our chains, misplaced and duplicated jumps, the seed's leftovers.
 * One plan, applied through the simulator, must converge (a second plan is empty) and
 * leave every foreign rule and chain exactly as it was.
 */

const OWNED = ['PIC-FORWARD', 'PIC-PEER-10-0-0-2', 'PIC-PEER-10-0-0-3', 'PIC-CELL-lyon', 'PIC-A', 'PIC-B'];
const STALE = ['PIC-OLD-1', 'PIC-OLD-2'];
const FOREIGN = ['DOCKER', 'DOCKER-USER', 'MY-RULES'];

const plainRule = fc.oneof(
  fc
    .integer({ min: 1, max: 4 })
    .map((i) => `-s 10.0.0.${i}/32 -m comment --comment "pic-peer-10-0-0-${i}/32" -j ACCEPT`),
  fc.integer({ min: 21, max: 24 }).map((i) => `-d 172.20.0.${i}/32 -j DROP`),
  fc.constantFrom(
    '-j ACCEPT',
    '-j DROP',
    '-o eth0 -j ACCEPT',
    '-d 10.0.0.0/8 -j ACCEPT',
    '-s 10.0.0.0/24 -m comment --comment pic-unknown-peers -j DROP',
  ),
);

/** A rule that may jump to another chain, chosen later by index among the allowed ones. */
const ruleSeed = fc.oneof(
  { arbitrary: plainRule.map((rule) => ({ rule, jump: null as number | null })), weight: 3 },
  { arbitrary: fc.nat(20).map((jump) => ({ rule: '-j RETURN', jump })), weight: 1 },
);
type RuleSeed = { rule: string; jump: number | null };

function resolve(seed: RuleSeed, targets: readonly string[], match = '-s 10.9.0.0/16'): string {
  if (seed.jump === null || targets.length === 0) return seed.rule;
  return `${match} -j ${targets[seed.jump % targets.length]}`;
}

const FOREIGN_BUILTIN_RULES = [
  '-i lo -j ACCEPT',
  '-j DOCKER-USER',
  '-o docker0 -j DOCKER',
  '-i wg0 -o eth0 -p tcp -m tcp --dport 3001 -j ACCEPT',
  '-m state --state RELATED,ESTABLISHED -j ACCEPT',
];
const LEGACY: Record<string, readonly string[]> = {
  'filter FORWARD': [
    '-i wg0 -o eth0 -p tcp -m tcp --dport 3000 -j ACCEPT',
    '-s 10.0.0.2/32 -d 172.20.0.21/32 -m comment --comment "pic-peer-10-0-0-2/32" -j ACCEPT',
    '-s 10.1.0.0/24 -m comment --comment pic-cell-lyon -j DROP',
  ],
  'nat PREROUTING': ['-i wg0 -p tcp -m tcp --dport 3000 -j DNAT --to-destination 172.20.0.5:3000'],
  'nat POSTROUTING': ['-d 172.20.0.5/32 -o eth0 -p tcp -m tcp --dport 3000 -j MASQUERADE'],
};

const tableSpec = fc.record({
  desiredChains: fc.subarray(OWNED),
  desiredRules: fc.array(fc.array(ruleSeed, { maxLength: 8 }), { minLength: OWNED.length, maxLength: OWNED.length }),
  jumps: fc.array(fc.record({ chain: fc.nat(3), target: fc.nat(20) }), { maxLength: 3 }),
  observedOwned: fc.subarray([...OWNED, ...STALE]),
  garbling: fc.array(
    fc.array(
      fc.record({ op: fc.constantFrom('delete', 'insert', 'duplicate', 'keep'), at: fc.nat(10), seed: ruleSeed }),
      { maxLength: 4 },
    ),
    { minLength: OWNED.length + STALE.length, maxLength: OWNED.length + STALE.length },
  ),
  foreignChains: fc.subarray(FOREIGN),
  foreignRules: fc.array(fc.array(ruleSeed, { maxLength: 4 }), {
    minLength: FOREIGN.length,
    maxLength: FOREIGN.length,
  }),
  builtinItems: fc.array(
    fc.array(
      fc.record({
        kind: fc.constantFrom('foreign', 'foreign', 'desired-jump', 'stale-jump', 'legacy'),
        pick: fc.nat(20),
      }),
      { maxLength: 7 },
    ),
    { minLength: 4, maxLength: 4 },
  ),
});

interface Built {
  desired: IptablesModel;
  observed: ObservedIptables;
  /** Per table and chain, the rules that are not ours and must survive unchanged. */
  foreign: Map<string, readonly string[]>;
}

type TableSpec = typeof tableSpec extends fc.Arbitrary<infer T> ? T : never;

function build(specs: Record<TableName, TableSpec>): Built {
  const desired = {} as Record<TableName, IptablesModel[TableName]>;
  const observed = {} as Record<TableName, { chains: Map<string, ObservedChain> }>;
  const foreign = new Map<string, readonly string[]>();
  for (const table of TABLES) {
    const spec = specs[table];
    const builtins = BUILTIN_CHAINS[table];
    // Desired chains jump only to chains after them, so there is no loop.
    const names = spec.desiredChains;
    const chains = names.map((name, i) => ({
      name,
      rules: (spec.desiredRules[OWNED.indexOf(name)] ?? []).map((s) => resolve(s, names.slice(i + 1))),
    }));
    const jumps: JumpRule[] = [];
    if (names.length > 0) {
      for (const j of spec.jumps) {
        const jump = {
          chain: builtins[j.chain % builtins.length] as string,
          rule: jumpRule(names[j.target % names.length] as string),
        };
        if (!jumps.some((k) => k.chain === jump.chain && k.rule === jump.rule)) jumps.push(jump);
      }
    }
    desired[table] = { chains, jumps };

    // Observed owned chains: garbled copies of desired ones, or leftovers; jumps only to observed owned chains.
    const live = new Map<string, ObservedChain>();
    for (const builtin of builtins) live.set(builtin, { name: builtin, builtin: true, policy: 'ACCEPT', rules: [] });
    const ownedLive = spec.observedOwned;
    ownedLive.forEach((name, i) => {
      const later = ownedLive.slice(i + 1);
      const base = chains.find((c) => c.name === name)?.rules.map((r) => sanitize(r, ownedLive)) ?? [];
      const rules = [...base];
      for (const g of spec.garbling[[...OWNED, ...STALE].indexOf(name)] ?? []) {
        const at = rules.length === 0 ? 0 : g.at % rules.length;
        if (g.op === 'delete') rules.splice(at, 1);
        else if (g.op === 'insert') rules.splice(at, 0, resolve(g.seed, later));
        else if (g.op === 'duplicate' && rules[at] !== undefined) rules.splice(at, 0, rules[at] as string);
      }
      live.set(name, { name, builtin: false, policy: null, rules });
    });
    // Foreign chains jump only to foreign chains.
    const foreignNames = spec.foreignChains;
    foreignNames.forEach((name, i) => {
      const rules = (spec.foreignRules[FOREIGN.indexOf(name)] ?? []).map((s) => resolve(s, foreignNames.slice(i + 1)));
      live.set(name, { name, builtin: false, policy: null, rules });
      foreign.set(`${table} ${name}`, rules);
    });
    builtins.forEach((chain, b) => {
      const rules: string[] = [];
      const kept: string[] = [];
      for (const item of spec.builtinItems[b] ?? []) {
        if (item.kind === 'foreign') {
          const rule = FOREIGN_BUILTIN_RULES[item.pick % FOREIGN_BUILTIN_RULES.length] as string;
          if (rule.includes('DOCKER') && !live.has(rule.split(' -j ')[1] as string)) continue;
          rules.push(rule);
          kept.push(rule);
        } else if (item.kind === 'desired-jump') {
          const mine = jumps.filter((j) => j.chain === chain && ownedLive.includes(j.rule.split(' -j ')[1] as string));
          const jump = mine[item.pick % Math.max(mine.length, 1)];
          if (jump) rules.push(jump.rule);
        } else if (item.kind === 'stale-jump') {
          if (ownedLive.length > 0) rules.push(jumpRule(ownedLive[item.pick % ownedLive.length] as string));
        } else {
          const legacy = LEGACY[`${table} ${chain}`] ?? [];
          if (legacy.length > 0) rules.push(legacy[item.pick % legacy.length] as string);
        }
      }
      live.set(chain, { name: chain, builtin: true, policy: 'ACCEPT', rules });
      foreign.set(`${table} ${chain}`, kept);
    });
    observed[table] = { chains: live };
  }
  return { desired, observed, foreign };
}

/** A copied desired rule may jump to a chain that is not live; such a rule cannot exist. */
function sanitize(rule: string, live: readonly string[]): string {
  const target = rule.split(' -j ')[1];
  return target?.startsWith('PIC-') && !live.includes(target) ? '-j RETURN' : rule;
}

const isOurs = (rule: ObservedRule): boolean => typeof rule === 'string' && rule.includes('"pic:jump"');

describe('planIptables (properties)', () => {
  it('converges in one apply and leaves foreign rules and chains byte-identical', () => {
    fc.assert(
      fc.property(fc.record({ filter: tableSpec, nat: tableSpec }), (specs) => {
        const { desired, observed, foreign } = build(specs);
        const actions = planIptables(desired, observed, DEFAULT_LAYOUT);
        const input = compileRestoreInput(actions);
        expect(input === null).toBe(actions.length === 0);
        const after = input === null ? observed : simulateRestore(observed, input);
        expect(planIptables(desired, after, DEFAULT_LAYOUT)).toEqual([]);

        for (const table of TABLES) {
          const chains = after[table].chains;
          // Our chains are exactly the desired ones.
          const owned = [...chains.values()].filter((c) => c.name.startsWith('PIC-'));
          expect(new Map(owned.map((c) => [c.name, c.rules]))).toEqual(
            new Map(desired[table].chains.map((c) => [c.name, c.rules])),
          );
          for (const builtin of BUILTIN_CHAINS[table]) {
            const rules = chains.get(builtin)?.rules ?? [];
            const jumps = desired[table].jumps.filter((j) => j.chain === builtin).map((j) => j.rule);
            expect(rules.slice(0, jumps.length)).toEqual(jumps);
            expect(rules.filter((r) => !isOurs(r))).toEqual(foreign.get(`${table} ${builtin}`));
          }
          for (const [key, rules] of foreign) {
            const [t, name] = key.split(' ') as [TableName, string];
            if (t === table && !BUILTIN_CHAINS[table].includes(name)) expect(chains.get(name)?.rules).toEqual(rules);
          }
          // No chain appears or disappears besides ours.
          const notOurs = (m: ReadonlyMap<string, ObservedChain>): string[] =>
            [...m.keys()].filter((n) => !n.startsWith('PIC-')).sort();
          expect(notOurs(chains)).toEqual(notOurs(observed[table].chains));
        }
      }),
      { seed: 42, numRuns: 400 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(fc.record({ filter: tableSpec, nat: tableSpec }), (specs) => {
        const { desired, observed } = build(specs);
        expect(planIptables(desired, observed)).toEqual(planIptables(desired, observed));
      }),
      { seed: 42, numRuns: 50 },
    );
  });
});
