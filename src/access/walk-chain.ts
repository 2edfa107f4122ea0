/**
 * Walks one built-in chain of one table to its outcome, following jumps (`-j`, a call that
 * returns), gotos (`-g`, a tail call) and RETURN, ending in a verdict, a NAT rewrite or the
 * chain's policy. Records every rule that matched on the way.
 */
import type { ObservedChain, ObservedTable, TableName } from '../model/iptables.js';
import { JUMP_COMMENT, OWNED_CHAIN_PREFIX } from '../model/iptables.js';
import { ruleComment } from '../model/iptables-rule.js';
import type { Owner, PathStep, SourceLookup } from './access-types.js';
import { compileRule, type CompiledRule, type Target } from './compile-rule.js';
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

export function ownerOf(chain: string, rule: string): Owner {
  return chain.startsWith(OWNED_CHAIN_PREFIX) || ruleComment(rule) === JUMP_COMMENT ? 'pic' : 'foreign';
}

interface Frame {
  readonly chain: ObservedChain;
  index: number;
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
    return { ruleset, table: tableName, chain, index, rule, owner, source: owner === 'pic' ? sourceOf(tableName, chain, rule) : null, action };
  };
  const policyStep = (chain: ObservedChain): PathStep => {
    const policy = chain.policy ?? 'ACCEPT';
    return { ruleset, table: tableName, chain: chain.name, index: 0, rule: `-P ${chain.name} ${policy}`, owner: 'policy', source: null, action: policy };
  };
  if (start === undefined) {
    // A table without the chain (a fresh namespace): the kernel's default, ACCEPT.
    const synthetic = policyStep({ name: input.chain, builtin: true, policy: 'ACCEPT', rules: [] });
    return { outcome: { kind: 'accept', step: synthetic }, path: [synthetic] };
  }
  const stack: Frame[] = [{ chain: start, index: 0 }];
  for (;;) {
    const frame = stack.at(-1);
    if (frame === undefined) {
      const end = policyStep(start);
      path.push(end);
      return { outcome: policyOutcome(start, end), path };
    }
    if (frame.index >= frame.chain.rules.length) {
      stack.pop();
      continue;
    }
    const index = frame.index++;
    const text = frame.chain.rules[index] ?? '';
    const rule = compiledRule(frame.chain, index);
    const matched = matchRule(rule.matches, ctx);
    if (matched === false) continue;
    const target = rule.target;
    if (matched !== true) {
      const unknown = step(frame.chain.name, index + 1, text, 'unknown');
      path.push(unknown);
      return { outcome: { kind: 'unknown', step: unknown, reason: `${frame.chain.name} rule ${index + 1}: the model does not know ${matched.unknown}` }, path };
    }
    const here = step(frame.chain.name, index + 1, text, actionOf(target));
    path.push(here);
    const result = follow(target, here, table, stack);
    if (result !== null) return { outcome: result, path };
    if (stack.length > MAX_DEPTH) return { outcome: { kind: 'unknown', step: here, reason: `chains nest deeper than ${MAX_DEPTH}` }, path };
  }
}

/** Applies a matched rule's target to the call stack; returns an outcome when the walk ends. */
function follow(target: Target, here: PathStep, table: ObservedTable, stack: Frame[]): ChainOutcome | null {
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
      return { kind: 'unknown', step: here, reason: `${here.chain} rule ${here.index}: the model does not know the target ${target.what}` };
    case 'continue':
      return null;
    case 'return':
      stack.pop();
      return null;
    case 'jump':
    case 'goto': {
      const next = table.chains.get(target.chain);
      if (next === undefined || next.builtin) {
        return { kind: 'unknown', step: here, reason: `${here.chain} rule ${here.index}: the model does not know the target ${target.chain}` };
      }
      if (target.kind === 'goto') stack.pop();
      stack.push({ chain: next, index: 0 });
      return null;
    }
  }
}

function actionOf(target: Target): string {
  switch (target.kind) {
    case 'jump':
      return `jump ${target.chain}`;
    case 'goto':
      return `goto ${target.chain}`;
    case 'dnat':
      return `DNAT to ${target.ip}${target.port === null ? '' : `:${target.port}`}`;
    case 'snat':
      return `SNAT to ${target.ip}`;
    case 'masquerade':
      return 'MASQUERADE';
    case 'unknown':
      return 'unknown';
    default:
      return target.name;
  }
}

function policyOutcome(chain: ObservedChain, step: PathStep): ChainOutcome {
  if (chain.policy === 'DROP') return { kind: 'drop', step };
  if (chain.policy === 'ACCEPT' || chain.policy === null) return { kind: 'accept', step };
  return { kind: 'unknown', step, reason: `${chain.name}: the model does not know the policy ${chain.policy}` };
}
