/**
 * One iptables rule (its canonical iptables-save text) → matches and a target the
 * evaluator can run. Everything the model knows is listed here; any other match or
 * target compiles to an `unknown` part naming it, so a packet that reaches the rule
 * gets the answer `unknown`, never a guess.
 */
import { tokenizeRule, type RuleToken } from '../model/iptables-rule.js';
import { parseIPv4 } from '../model/ipv4.js';
import { isOpaqueRule, type ObservedRule } from '../model/iptables.js';
import { ADDRTYPES, addressMask, addressRange, ctProto, port } from './match-values.js';

export type PortRange = readonly [number, number];

/** The target name of a rule without `-j`: it only counts packets. */
export const NO_TARGET = '(no target)';

export type Match =
  /** `-s`/`-d`: the address ANDed with the mask (a prefix or a dotted, even non-contiguous, mask) equals network. */
  | { readonly kind: 'src' | 'dst'; readonly negate: boolean; readonly network: number; readonly mask: number }
  /** iprange's `--src-range`/`--dst-range`, bounds included. */
  | {
      readonly kind: 'range';
      readonly negate: boolean;
      readonly which: 'src' | 'dst';
      readonly from: number;
      readonly to: number;
    }
  | { readonly kind: 'in' | 'out'; readonly negate: boolean; readonly name: string; readonly prefix: boolean }
  | { readonly kind: 'proto'; readonly negate: boolean; readonly proto: string }
  | {
      readonly kind: 'port';
      readonly negate: boolean;
      readonly which: 'dport' | 'sport' | 'any';
      readonly ranges: readonly PortRange[];
    }
  | {
      readonly kind: 'addrtype';
      readonly negate: boolean;
      readonly which: 'src' | 'dst';
      readonly types: readonly string[];
    }
  | { readonly kind: 'ctstate'; readonly negate: boolean; readonly states: readonly string[] }
  | { readonly kind: 'ctproto'; readonly negate: boolean; readonly proto: string }
  | { readonly kind: 'ctdir'; readonly negate: boolean; readonly dir: 'ORIGINAL' | 'REPLY' }
  | { readonly kind: 'unknown'; readonly what: string };

export type Target =
  | { readonly kind: 'accept' | 'drop' | 'reject' | 'return' | 'continue'; readonly name: string }
  | { readonly kind: 'jump' | 'goto'; readonly chain: string }
  | { readonly kind: 'dnat'; readonly ip: string; readonly port: number | null }
  | { readonly kind: 'snat'; readonly ip: string }
  | { readonly kind: 'masquerade' }
  | { readonly kind: 'unknown'; readonly what: string };

export interface CompiledRule {
  readonly matches: readonly Match[];
  readonly target: Target;
}

const VERDICTS: Readonly<Record<string, 'accept' | 'drop' | 'reject' | 'return'>> = {
  ACCEPT: 'accept',
  DROP: 'drop',
  REJECT: 'reject',
  RETURN: 'return',
};
/** Targets that only log, and cannot change what happens to the packet, whatever their matches. */
export const INERT: ReadonlySet<string> = new Set(['LOG', 'NFLOG', 'ULOG', NO_TARGET]);
/** Targets that let the packet continue: the inert ones, and MARK. */
const CONTINUING: ReadonlySet<string> = new Set([...INERT, 'MARK']);
/** MASQUERADE's options that choose only the source port, which no later rule of the connection sees. */
const MASQUERADE_PORT_OPTIONS: ReadonlySet<string> = new Set(['--to-ports', '--random', '--random-fully']);
/** Modules whose options this file reads; a `-m` of any other makes the rule unknown. */
const MODULES: ReadonlySet<string> = new Set([
  'tcp',
  'udp',
  'multiport',
  'comment',
  'addrtype',
  'conntrack',
  'state',
  'iprange',
]);
const CTSTATES: ReadonlySet<string> = new Set([
  'NEW',
  'ESTABLISHED',
  'RELATED',
  'INVALID',
  'UNTRACKED',
  'SNAT',
  'DNAT',
]);

/**
 * The one place where a rule's text becomes something the evaluator runs. When the parser
 * gains an opaque variant for lines it cannot read, it compiles to `unknown` here.
 */
export function compileRule(rule: ObservedRule): CompiledRule {
  // A line the parser could not read exactly (holes in quoting, odd matches) is never guessed at.
  if (isOpaqueRule(rule))
    return {
      matches: [{ kind: 'unknown', what: `a rule the parser could not read (${rule.reason})` }],
      target: { kind: 'unknown', what: 'unreadable rule' },
    };
  const tokens = tokenizeRule(rule);
  if ('error' in tokens)
    return { matches: [{ kind: 'unknown', what: tokens.error }], target: { kind: 'unknown', what: 'unreadable rule' } };
  return new RuleReader(tokens).read();
}

class RuleReader {
  private i = 0;
  private module: string | null = null;
  private readonly matches: Match[] = [];
  /** Where the current `-m` module's matches begin: an option of it we do not know voids them all. */
  private moduleStart = 0;
  constructor(private readonly tokens: readonly RuleToken[]) {}

  read(): CompiledRule {
    let negate = false;
    while (this.i < this.tokens.length) {
      const token = this.next();
      if (token === '!') {
        negate = true;
        continue;
      }
      if (token === '-j' || token === '-g') return { matches: this.matches, target: this.target(token) };
      this.option(token, negate);
      negate = false;
    }
    return { matches: this.matches, target: { kind: 'continue', name: NO_TARGET } };
  }

  private next(): string {
    const token = this.tokens[this.i];
    this.i++;
    return token?.value ?? '';
  }

  private option(option: string, negate: boolean): void {
    switch (option) {
      case '-s':
      case '-d':
        return this.address(option === '-s' ? 'src' : 'dst', negate);
      case '-i':
      case '-o': {
        const name = this.next();
        const prefix = name.endsWith('+');
        return this.push({
          kind: option === '-i' ? 'in' : 'out',
          negate,
          name: prefix ? name.slice(0, -1) : name,
          prefix,
        });
      }
      case '-p':
        return this.push({ kind: 'proto', negate, proto: this.next() });
      case '-m': {
        this.module = this.next();
        this.moduleStart = this.matches.length;
        if (!MODULES.has(this.module)) this.push({ kind: 'unknown', what: `-m ${this.module}` });
        return;
      }
      default:
        return this.moduleOption(option, negate);
    }
  }

  private address(kind: 'src' | 'dst', negate: boolean): void {
    const text = this.next();
    const net = addressMask(text);
    this.push(
      net === null ? { kind: 'unknown', what: `${kind === 'src' ? '-s' : '-d'} ${text}` } : { kind, negate, ...net },
    );
  }

  private moduleOption(option: string, negate: boolean): void {
    const module = this.module;
    // An option that takes no value (`--limit-iface-in`, `--syn`) must not swallow `-j` or the next option.
    const peek = this.tokens[this.i]?.value;
    if (peek === undefined || peek === '!' || peek.startsWith('-'))
      return this.voidModule(`${module === null ? '' : `-m ${module} `}${negate ? '! ' : ''}${option}`);
    const value = this.next();
    if (module === 'comment' && option === '--comment') return;
    if ((module === 'tcp' || module === 'udp') && (option === '--dport' || option === '--sport')) {
      return this.ports(option === '--dport' ? 'dport' : 'sport', negate, value, ':');
    }
    if (module === 'multiport' && (option === '--dports' || option === '--sports' || option === '--ports')) {
      return this.ports(option === '--dports' ? 'dport' : option === '--sports' ? 'sport' : 'any', negate, value, ',');
    }
    if (module === 'addrtype' && (option === '--dst-type' || option === '--src-type')) {
      const types = value.split(',');
      if (types.every((t) => ADDRTYPES.has(t)))
        return this.push({ kind: 'addrtype', negate, which: option === '--dst-type' ? 'dst' : 'src', types });
    }
    if ((module === 'conntrack' && option === '--ctstate') || (module === 'state' && option === '--state')) {
      const states = value.split(',');
      if (states.every((s) => CTSTATES.has(s))) return this.push({ kind: 'ctstate', negate, states });
    }
    if (module === 'conntrack' && option === '--ctproto') {
      const proto = ctProto(value);
      if (proto !== null) return this.push({ kind: 'ctproto', negate, proto });
    }
    if (module === 'conntrack' && option === '--ctdir' && (value === 'ORIGINAL' || value === 'REPLY'))
      return this.push({ kind: 'ctdir', negate, dir: value });
    if (module === 'iprange' && (option === '--src-range' || option === '--dst-range')) {
      const range = addressRange(value);
      if (range !== null)
        return this.push({ kind: 'range', negate, which: option === '--src-range' ? 'src' : 'dst', ...range });
    }
    if (module !== null && !MODULES.has(module)) return; // already unknown: the whole module is
    this.voidModule(`${module === null ? '' : `-m ${module} `}${negate ? '! ' : ''}${option} ${value}`.trim());
  }

  /**
   * An option the model does not know may change what the module's other options mean (addrtype's
   * `--limit-iface-in` narrows `--dst-type`): the module's matches so far give way to one unknown,
   * so a known match that is false cannot decide where the kernel would match.
   */
  private voidModule(what: string): void {
    if (this.module !== null) this.matches.splice(this.moduleStart);
    this.push({ kind: 'unknown', what });
  }

  private ports(which: 'dport' | 'sport' | 'any', negate: boolean, text: string, listSeparator: string): void {
    const ranges: PortRange[] = [];
    for (const part of listSeparator === ',' ? text.split(',') : [text]) {
      const [lo, hi = lo] = part.split(':');
      const from = port(lo);
      const to = port(hi);
      if (from === null || to === null) return this.push({ kind: 'unknown', what: `port ${text}` });
      ranges.push([from, to]);
    }
    this.push({ kind: 'port', negate, which, ranges });
  }

  private target(flag: string): Target {
    const name = this.next();
    const args = this.tokens.slice(this.i).map((t) => t.value);
    if (flag === '-g') return { kind: 'goto', chain: name };
    const verdict = VERDICTS[name];
    if (verdict !== undefined) return { kind: verdict, name };
    if (CONTINUING.has(name)) return { kind: 'continue', name };
    if (name === 'DNAT' || name === 'SNAT') return this.natTarget(name, args);
    if (name === 'MASQUERADE') return masquerade(args);
    // A user chain, or an extension target we do not model: the walker tells them apart by the table's chains.
    return { kind: 'jump', chain: name };
  }

  /** `--to-destination IP[:PORT]` / `--to-source IP`: one address; ranges and options are unknown. */
  private natTarget(name: 'DNAT' | 'SNAT', args: readonly string[]): Target {
    const option = name === 'DNAT' ? '--to-destination' : '--to-source';
    const unknown: Target = { kind: 'unknown', what: `${name} ${args.join(' ')}` };
    if (args.length !== 2 || args[0] !== option) return unknown;
    const [ip = '', portText] = (args[1] ?? '').split(':');
    if (parseIPv4(ip) === null) return unknown;
    if (name === 'SNAT') return portText === undefined ? { kind: 'snat', ip } : unknown;
    const to = portText === undefined ? null : port(portText);
    if (portText !== undefined && to === null) return unknown;
    return { kind: 'dnat', ip, port: to };
  }

  private push(match: Match): void {
    this.matches.push(match);
  }
}

/** What a matched rule's target does, as a path step names it. */
export function targetAction(target: Target): string {
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

/** MASQUERADE with options that pick only the source port (`--to-ports`, `--random`): still the egress address. */
function masquerade(args: readonly string[]): Target {
  for (let i = 0; i < args.length; i++) {
    const option = args[i] ?? '';
    if (!MASQUERADE_PORT_OPTIONS.has(option)) return { kind: 'unknown', what: `MASQUERADE ${args.join(' ')}` };
    if (option === '--to-ports') {
      const [lo, hi = lo] = (args[i + 1] ?? '').split('-');
      if (port(lo) === null || port(hi) === null) return { kind: 'unknown', what: `MASQUERADE ${args.join(' ')}` };
      i++;
    }
  }
  return { kind: 'masquerade' };
}
