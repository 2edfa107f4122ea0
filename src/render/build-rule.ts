import { quoteSaveString } from '../model/iptables-rule.js';

/** A match module and its arguments, e.g. `-m addrtype --dst-type LOCAL`. */
export interface MatchSpec {
  readonly module: string;
  readonly args: readonly string[];
}

/**
 * One rule as structured data. `buildRule` prints it in the order `iptables-save`
 * uses (`-s -d -i -o -p`, matches in load order, the comment last, then `-j`), so the
 * text compares equal to a live dump by construction.
 */
export interface RuleSpec {
  readonly src?: string;
  readonly dst?: string;
  readonly in?: string;
  readonly out?: string;
  readonly proto?: 'tcp' | 'udp';
  readonly matches?: readonly MatchSpec[];
  /** Every rule we write carries its owner's tag. */
  readonly comment: string;
  readonly target: string;
  readonly targetArgs?: readonly string[];
}

/** `ip/32`: iptables-save always prints a host address with its prefix length. */
export function host(ip: string): string {
  return `${ip}/32`;
}

/** `--dport` loads the protocol's match module implicitly; iptables-save prints it explicitly. */
export function dport(proto: 'tcp' | 'udp', port: number): MatchSpec {
  return { module: proto, args: ['--dport', String(port)] };
}

export function buildRule(spec: RuleSpec): string {
  const parts: string[] = [];
  if (spec.src !== undefined) parts.push('-s', spec.src);
  if (spec.dst !== undefined) parts.push('-d', spec.dst);
  if (spec.in !== undefined) parts.push('-i', spec.in);
  if (spec.out !== undefined) parts.push('-o', spec.out);
  if (spec.proto !== undefined) parts.push('-p', spec.proto);
  for (const match of spec.matches ?? []) parts.push('-m', match.module, ...match.args);
  parts.push('-m', 'comment', '--comment', quoteSaveString(spec.comment));
  parts.push('-j', spec.target, ...(spec.targetArgs ?? []));
  return parts.join(' ');
}
