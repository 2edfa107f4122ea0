/**
 * The packet model's data: what goes in (a dataplane view of the wireguard target and a
 * packet) and what comes out (a verdict with the path of rules that produced it).
 * Plain data; the evaluator is in evaluate-connection.ts.
 */
import type { ObservedIptables, TableName } from '../model/iptables.js';

export type Proto = 'tcp' | 'udp';

/** A packet as the wireguard target sees it arrive. Addresses are dotted quads. */
export interface Packet {
  readonly src: string;
  readonly dst: string;
  readonly proto: Proto;
  readonly dport: number;
  /** null: an ephemeral port of the client (Linux's 32768–60999); a --sport match then decides only when every such port agrees. */
  readonly sport: number | null;
  /** The interface it arrives on. */
  readonly inIface: string;
}

/** Who wrote a rule: our chains and jumps, anyone else, or a built-in chain's policy. */
export type Owner = 'pic' | 'foreign' | 'policy';

/** The state file and JSON pointer an owned rule was rendered from. */
export interface RuleSource {
  readonly file: string;
  readonly pointer: string;
}

/** Looks up the state field behind an owned rule; null when the rule has none (jumps, nat) or is not rendered. */
export type SourceLookup = (table: TableName, chain: string, rule: string) => RuleSource | null;

/** One rule that matched or jumped (or the policy that ended a built-in chain). */
export interface PathStep {
  /** Which ruleset (backend) the step is in, e.g. 'live', 'desired', 'legacy'. */
  readonly ruleset: string;
  readonly table: TableName;
  readonly chain: string;
  /** 1-based, as `iptables -L --line-numbers`; 0 for a chain policy. */
  readonly index: number;
  /** The rule text after `-A CHAIN`, or `-P CHAIN POLICY`. */
  readonly rule: string;
  readonly owner: Owner;
  readonly source: RuleSource | null;
  /** What the step did: a verdict, a jump, a rewrite, or 'continue' (LOG, MARK, no target). */
  readonly action: string;
}

export type Verdict = 'accept' | 'drop' | 'unknown';

/** Where routing sent a packet: an interface and next hop, or the target itself. */
export interface Egress {
  /** 'local' for delivery to the wireguard target itself; '' when there is no route. */
  readonly dev: string;
  /** Next hop, or null when the destination is on-link (or local). */
  readonly via: string | null;
  /** Routing table of the route that decided ('main', 'local' or a number), null when none did. */
  readonly table: string | null;
  /** Priority of the policy rule that chose the table. */
  readonly rulePriority: number | null;
}

/** One direction of a connection through the target. */
export interface Leg {
  readonly verdict: Verdict;
  /** The step that decided the verdict (last in path), or null when routing decided. */
  readonly decidedBy: PathStep | null;
  readonly path: readonly PathStep[];
  /** The packet after NAT, as it leaves (null when it does not). */
  readonly out: Packet | null;
  readonly egress: Egress;
  /** Why the answer is unknown, drop by routing, or not toward the destination. */
  readonly reason: string | null;
}

export interface ConnectionResult {
  /** What the model could not see (a table printed only as incompatible), each making the answer unknown. */
  readonly blindSpots: readonly string[];
  readonly packet: Packet;
  readonly first: Leg;
  /** null when the first packet never left (nothing to answer). */
  readonly reply: Leg | null;
  /** The whole connection: first packet accepted and routed toward its destination, reply accepted and routed back; null when unknown. */
  readonly reaches: boolean | null;
  /** One line on why it does or does not reach. */
  readonly reason: string;
}

/** A policy rule as `ip -j rule` prints it, with every selector the model must honour. */
export interface RoutingRule {
  readonly priority: number;
  readonly not: boolean;
  /** CIDRs; 0.0.0.0/0 when absent. */
  readonly from: string;
  readonly to: string;
  readonly iif: string | null;
  readonly oif: string | null;
  readonly fwmark: { readonly value: number; readonly mask: number } | null;
  /** 'lookup' (table), 'goto' (priority), or a terminal type. */
  readonly action:
    | { readonly kind: 'lookup'; readonly table: string; readonly suppressPrefixlength: number | null }
    | { readonly kind: 'goto'; readonly priority: number }
    | { readonly kind: 'nop' }
    | { readonly kind: 'blackhole' | 'unreachable' | 'prohibit' };
  /** Selectors the model does not evaluate (ipproto, dport, tos, uidrange, …): reaching this rule makes the answer unknown. */
  readonly unmodelled: readonly string[];
}

export interface RoutingRoute {
  /** 'main', 'local', 'default' or a decimal id. */
  readonly table: string;
  /** unicast, local, broadcast, blackhole, unreachable, prohibit, throw, … */
  readonly type: string;
  /** CIDR. */
  readonly dst: string;
  readonly gateway: string | null;
  readonly dev: string;
  readonly metric: number;
  readonly prefsrc: string | null;
  /** Set for a multipath route: which nexthop a flow takes is a hash, so the model does not guess. */
  readonly multipath: boolean;
}

/** The routing part of the wireguard target: policy rules in priority order and every table's routes. */
export interface Routing {
  readonly rules: readonly RoutingRule[];
  readonly routes: readonly RoutingRoute[];
}

/** One iptables backend's tables; the kernel runs every backend's hooks, so a packet passes only if all accept. */
export interface Ruleset {
  readonly name: string;
  readonly iptables: ObservedIptables;
}

/** Everything the model reads about the wireguard target. */
export interface Dataplane {
  readonly rulesets: readonly Ruleset[];
  readonly routing: Routing;
  readonly sourceOf: SourceLookup;
}
