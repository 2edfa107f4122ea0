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

// Every rule of a chain carries its owner's tag: quote a run of equal comments once.
let lastComment: string | null = null;
let lastQuoted = '';
function quotedComment(comment: string): string {
  if (comment !== lastComment) {
    lastQuoted = quoteSaveString(comment);
    lastComment = comment;
  }
  return lastQuoted;
}

export function buildRule(spec: RuleSpec): string {
  // Plain concatenation: this runs about nine times per peer on every render.
  let text = '';
  if (spec.src !== undefined) text += ` -s ${spec.src}`;
  if (spec.dst !== undefined) text += ` -d ${spec.dst}`;
  if (spec.in !== undefined) text += ` -i ${spec.in}`;
  if (spec.out !== undefined) text += ` -o ${spec.out}`;
  if (spec.proto !== undefined) text += ` -p ${spec.proto}`;
  for (const match of spec.matches ?? [])
    text += ` -m ${match.module}${match.args.length > 0 ? ` ${match.args.join(' ')}` : ''}`;
  text += ` -m comment --comment ${quotedComment(spec.comment)} -j ${spec.target}`;
  if (spec.targetArgs !== undefined && spec.targetArgs.length > 0) text += ` ${spec.targetArgs.join(' ')}`;
  return text.slice(1);
}
