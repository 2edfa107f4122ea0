/**
 * Walks one built-in chain of one table to its outcome, following jumps (`-j`, a call that
 * returns), gotos (`-g`, a tail call) and RETURN, ending in a verdict, a NAT rewrite or the
 * chain's policy. Records every rule that matched on the way.
 */
import type { ObservedChain, ObservedRule, ObservedTable, TableName } from '../model/iptables.js';
import { JUMP_COMMENT, OWNED_CHAIN_PREFIX } from '../model/iptables.js';
import { ruleComment } from '../model/iptables-rule.js';
import { parseIPv4 } from '../model/ipv4.js';
import type { Owner, PathStep, SourceLookup } from './access-types.js';
import { compileRule, INERT, targetAction, type CompiledRule, type Target } from './compile-rule.js';
import { matchRule, type MatchContext } from './match-rule.js';

export type ChainOutcome =
  | { readonly kind: 'accept' | 'drop'; readonly step: PathStep }
  | { readonly kind: 'dnat'; readonly ip: string; readonly port: number | null; readonly step: PathStep }
  | { readonly kind: 'snat'; readonly ip: string | null; readonly step: PathStep }
  | { readonly kind: 'unknown'; readonly step: PathStep; readonly reason: string };

export interface ChainWalk {
  readonly outcome: ChainOutcome;
  readonly path: readonly PathStep[];
}

/** iptables refuses deeper nesting, so this only guards against a dump that is not a real ruleset. */
const MAX_DEPTH = 64;
/**
 * Rules one walk may visit. The kernel refuses a loop, so a real ruleset ends long before; a dump
 * (`--from-dump`) may hold one the loop check below misses, or a nest of chains that call each
 * other many times over: the walk then ends `unknown`, never in a spin or out of memory.
 */
export const MAX_WALK_STEPS = 250_000;
/** Matched rules one walk may record: a real path is a few dozen; this keeps a pathological one printable. */
export const MAX_PATH_STEPS = 10_000;

// Rules compile on first use: an explain on a 5,000-peer dump compiles the few chains it walks.
const compiled = new WeakMap<ObservedChain, (CompiledRule | undefined)[]>();

function compiledRule(chain: ObservedChain, index: number): CompiledRule {
  let rules = compiled.get(chain);
  if (rules === undefined) {
    rules = new Array<CompiledRule | undefined>(chain.rules.length);
    compiled.set(chain, rules);
  }
  let rule = rules[index];
  if (rule === undefined) {
    rule = compileRule(chain.rules[index] ?? '');
    rules[index] = rule;
  }
  return rule;
}

/** The rule as the dump printed it, readable or not. */
function ruleText(rule: ObservedRule): string {
  return typeof rule === 'string' ? rule : rule.text;
}

export function ownerOf(chain: string, rule: string): Owner {
  if (chain.startsWith(OWNED_CHAIN_PREFIX)) return 'pic';
  // Tokenizing every matched rule is the slow part of a walk: only a rule that mentions the tag can carry it.
  return rule.includes(JUMP_COMMENT) && ruleComment(rule) === JUMP_COMMENT ? 'pic' : 'foreign';
}

/**
 * Long chains (PIC-FORWARD holds one rule per peer) are indexed by a leading `-s <host>/32`:
 * a packet visits the rules for its own source and the rules without such a match, in order.
 */
const INDEX_FROM = 32;

interface SourceIndex {
  readonly byHost: ReadonlyMap<number, readonly number[]>;
  readonly others: readonly number[];
}

const sourceIndexes = new WeakMap<ObservedChain, SourceIndex>();

function hostOf(rule: string): number | null {
  if (!rule.startsWith('-s ')) return null;
  const end = rule.indexOf('/32 ', 3);
  if (end < 0) return null;
  return parseIPv4(rule.slice(3, end));
}

function sourceIndex(chain: ObservedChain): SourceIndex {
  let index = sourceIndexes.get(chain);
  if (index === undefined) {
    const byHost = new Map<number, number[]>();
    const others: number[] = [];
    chain.rules.forEach((rule, i) => {
      const host = typeof rule === 'string' ? hostOf(rule) : null;
      if (host === null) others.push(i);
      else byHost.set(host, [...(byHost.get(host) ?? []), i]);
    });
    index = { byHost, others };
    sourceIndexes.set(chain, index);
  }
  return index;
}

/** The indexes of the rules a packet from `src` can match, in chain order; null: every rule. */
function visitOrder(chain: ObservedChain, src: number): readonly number[] | null {
  if (chain.rules.length < INDEX_FROM) return null;
  const { byHost, others } = sourceIndex(chain);
  const own = byHost.get(src);
  if (own === undefined) return others;
  return [...others, ...own].sort((a, b) => a - b);
}

interface Frame {
  readonly chain: ObservedChain;
  readonly order: readonly number[] | null;
  /** Position in order (or the rule index when order is null). */
  position: number;
  /** The chains a `-g` left on the way to this one: still entered, as far as a loop is concerned. */
  readonly left: readonly string[];
}

export interface WalkInput {
  readonly ruleset: string;
  readonly tableName: TableName;
  readonly table: ObservedTable;
  readonly chain: string;
  readonly ctx: MatchContext;
  readonly sourceOf: SourceLookup;
}

export function walkChain(input: WalkInput): ChainWalk {
  const { ruleset, tableName, table, ctx, sourceOf } = input;
  const path: PathStep[] = [];
  const start = table.chains.get(input.chain);
  const step = (chain: string, index: number, rule: string, action: string): PathStep => {
    const owner = ownerOf(chain, rule);
    return {
      ruleset,
      table: tableName,
      chain,
      index,
      rule,
      owner,
      source: owner === 'pic' ? sourceOf(tableName, chain, rule) : null,
      action,
    };
  };
  const policyStep = (chain: ObservedChain): PathStep => {
    const policy = chain.policy ?? 'ACCEPT';
    return {
      ruleset,
      table: tableName,
      chain: chain.name,
      index: 0,
      rule: `-P ${chain.name} ${policy}`,
      owner: 'policy',
      source: null,
      action: policy,
    };
  };
  if (start === undefined) {
    // A table without the chain (a fresh namespace): the kernel's default, ACCEPT.
    const synthetic = policyStep({ name: input.chain, builtin: true, policy: 'ACCEPT', rules: [] });
    return { outcome: { kind: 'accept', step: synthetic }, path: [synthetic] };
  }
  const frame = (chain: ObservedChain, left: readonly string[] = []): Frame => ({
    chain,
    order: visitOrder(chain, ctx.src),
    position: 0,
    left,
  });
  const stack: Frame[] = [frame(start)];
  for (let steps = 0; ; steps++) {
    if (steps >= MAX_WALK_STEPS || path.length >= MAX_PATH_STEPS) {
      const here = path.at(-1) ?? policyStep(start);
      const what =
        steps >= MAX_WALK_STEPS
          ? `passed ${MAX_WALK_STEPS.toLocaleString('en-US')} rules`
          : `matched ${MAX_PATH_STEPS.toLocaleString('en-US')} rules`;
      return {
        outcome: {
          kind: 'unknown',
          step: here,
          reason: `${tableName} ${input.chain}: the walk ${what} without an end (chains that call each other over and over)`,
        },
        path,
      };
    }
    const top = stack.at(-1);
    if (top === undefined) {
      const end = policyStep(start);
      path.push(end);
      return { outcome: policyOutcome(start, end), path };
    }
    const index = top.order === null ? top.position : top.order[top.position];
    if (index === undefined || index >= top.chain.rules.length) {
      stack.pop();
      continue;
    }
    top.position++;
    const text = ruleText(top.chain.rules[index] ?? '');
    const rule = compiledRule(top.chain, index);
    const matched = matchRule(rule.matches, ctx);
    if (matched === false) continue;
    const target = rule.target;
    // A rule that only logs or counts cannot change the outcome: what it matches need not be known.
    if (matched !== true && target.kind === 'continue' && INERT.has(target.name)) continue;
    if (matched !== true) {
      const unknown = step(top.chain.name, index + 1, text, 'unknown');
      path.push(unknown);
      return {
        outcome: {
          kind: 'unknown',
          step: unknown,
          reason: `${top.chain.name} rule ${index + 1}: the model does not know ${matched.unknown}`,
        },
        path,
      };
    }
    const here = step(top.chain.name, index + 1, text, targetAction(target));
    path.push(here);
    const result = follow(target, here, table, stack, frame);
    if (result !== null) return { outcome: result, path };
    if (stack.length > MAX_DEPTH)
      return { outcome: { kind: 'unknown', step: here, reason: `chains nest deeper than ${MAX_DEPTH}` }, path };
  }
}

/** Applies a matched rule's target to the call stack; returns an outcome when the walk ends. */
function follow(
  target: Target,
  here: PathStep,
  table: ObservedTable,
  stack: Frame[],
  frame: (chain: ObservedChain, left?: readonly string[]) => Frame,
): ChainOutcome | null {
  switch (target.kind) {
    case 'accept':
      return { kind: 'accept', step: here };
    case 'drop':
    case 'reject':
      return { kind: 'drop', step: here };
    case 'dnat':
      return { kind: 'dnat', ip: target.ip, port: target.port, step: here };
    case 'snat':
      return { kind: 'snat', ip: target.ip, step: here };
    case 'masquerade':
      return { kind: 'snat', ip: null, step: here };
    case 'unknown':
      return {
        kind: 'unknown',
        step: here,
        reason: `${here.chain} rule ${here.index}: the model does not know the target ${target.what}`,
      };
    case 'continue':
      return null;
    case 'return':
      stack.pop();
      return null;
    case 'jump':
    case 'goto': {
      const next = table.chains.get(target.chain);
      if (next === undefined || next.builtin) {
        return {
          kind: 'unknown',
          step: here,
          reason: `${here.chain} rule ${here.index}: the model does not know the target ${target.chain}`,
        };
      }
      // The kernel refuses a ruleset whose jumps and gotos close a circle; only a dump can hold one.
      if (stack.some((f) => f.chain.name === target.chain || f.left.includes(target.chain)))
        return {
          kind: 'unknown',
          step: here,
          reason: `loop at ${here.table} ${here.chain} rule ${here.index}: ${target.kind === 'goto' ? '-g' : '-j'} ${target.chain} enters a chain the walk is already in`,
        };
      if (target.kind === 'goto') {
        const left = stack.pop();
        stack.push(frame(next, left === undefined ? [] : [...left.left, left.chain.name]));
      } else stack.push(frame(next));
      return null;
    }
  }
}

function policyOutcome(chain: ObservedChain, step: PathStep): ChainOutcome {
  if (chain.policy === 'DROP') return { kind: 'drop', step };
  if (chain.policy === 'ACCEPT' || chain.policy === null) return { kind: 'accept', step };
  return { kind: 'unknown', step, reason: `${chain.name}: the model does not know the policy ${chain.policy}` };
}
