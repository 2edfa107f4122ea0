import { tokenizeRule } from '../model/iptables-rule.js';

/**
 * One rule of a built-in chain, split into the few options the seed's rules use. A rule
 * with any other option (`!`, another match module, a second `-s`) keeps it in `unknown`,
 * and is then not one of the seed's shapes.
 */
export interface SeedRule {
  readonly text: string;
  readonly src: string | null;
  readonly dst: string | null;
  readonly in: string | null;
  readonly out: string | null;
  readonly proto: string | null;
  readonly dport: string | null;
  readonly comment: string | null;
  readonly target: string | null;
  readonly targetArgs: readonly string[];
  readonly unknown: readonly string[];
}

const VALUE_OPTIONS = {
  '-s': 'src',
  '-d': 'dst',
  '-i': 'in',
  '-o': 'out',
  '-p': 'proto',
  '--dport': 'dport',
  '--comment': 'comment',
} as const;
type ValueField = (typeof VALUE_OPTIONS)[keyof typeof VALUE_OPTIONS];
/** Match modules iptables-save prints for the seed's options; they carry no meaning of their own. */
const IMPLIED_MODULES: ReadonlySet<string> = new Set(['tcp', 'udp', 'comment']);

export function parseSeedRule(text: string): SeedRule {
  const tokens = tokenizeRule(text);
  const values: Record<ValueField, string | null> = {
    src: null,
    dst: null,
    in: null,
    out: null,
    proto: null,
    dport: null,
    comment: null,
  };
  const unknown: string[] = [];
  let target: string | null = null;
  let targetArgs: string[] = [];
  if ('error' in tokens) return { text, ...values, target, targetArgs, unknown: [tokens.error] };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]?.value ?? '';
    const next = tokens[i + 1]?.value;
    if (token === '-j' && next !== undefined) {
      target = next;
      targetArgs = tokens.slice(i + 2).map((t) => t.value);
      break;
    }
    if (token === '-m' && next !== undefined && IMPLIED_MODULES.has(next)) {
      i++;
      continue;
    }
    const field = Object.hasOwn(VALUE_OPTIONS, token) ? VALUE_OPTIONS[token as keyof typeof VALUE_OPTIONS] : undefined;
    if (field !== undefined && next !== undefined && values[field] === null) {
      values[field] = next;
      i++;
      continue;
    }
    unknown.push(token);
  }
  return { text, ...values, target, targetArgs, unknown };
}
