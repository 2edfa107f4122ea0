/**
 * A connection through the wireguard target: its first packet (nat PREROUTING, routing,
 * filter FORWARD or INPUT, nat POSTROUTING) and its reply (state ESTABLISHED, NAT undone,
 * routing, filter FORWARD or OUTPUT). Every ruleset (iptables backend) must accept.
 * It reaches when both legs pass and are routed toward their ends.
 */
import type { ConnectionResult, Dataplane, Egress, Leg, Packet, PathStep } from './access-types.js';
import type { MatchContext } from './match-rule.js';
import { addressOn, addressType, lookupRoute, parseAddress, tableMatch, type RouteResult } from './route-lookup.js';
import { blindSpotsOf, describeStep, isStop, walkAll, type Stop } from './walk-rulesets.js';

export { describeStep };

export interface ConnectionIntent {
  /** The address the caller means to reach after NAT (the api behind the DNAT); any delivery counts when absent. */
  readonly expectDestination?: string;
}

interface LegState {
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  readonly proto: string;
  readonly state: 'NEW' | 'ESTABLISHED';
  dnat: boolean;
  snat: boolean;
}

export function evaluateConnection(
  dataplane: Dataplane,
  packet: Packet,
  intent: ConnectionIntent = {},
): ConnectionResult {
  const blindSpots = blindSpotsOf(dataplane);
  const first = firstLeg(dataplane, packet, intent);
  if (first.leg.verdict !== 'accept' || first.leg.out === null) {
    return {
      blindSpots,
      packet,
      first: first.leg,
      reply: null,
      reaches: first.leg.verdict === 'unknown' ? null : false,
      reason: first.leg.reason ?? 'first packet dropped',
    };
  }
  if (!first.toward)
    return {
      blindSpots,
      packet,
      first: first.leg,
      reply: null,
      reaches: false,
      reason: first.leg.reason ?? 'not routed toward the destination',
    };
  const reply = replyLeg(dataplane, packet, first.leg, first.local);
  if (reply.verdict === 'unknown')
    return { blindSpots, packet, first: first.leg, reply, reaches: null, reason: reply.reason ?? 'reply unknown' };
  if (reply.verdict === 'drop')
    return { blindSpots, packet, first: first.leg, reply, reaches: false, reason: reply.reason ?? 'reply dropped' };
  return { blindSpots, packet, first: first.leg, reply, reaches: true, reason: 'first packet and reply pass' };
}

function context(dataplane: Dataplane, s: LegState, inIface: string | null, outIface: string | null): MatchContext {
  return {
    src: parseAddress(s.src),
    dst: parseAddress(s.dst),
    proto: s.proto,
    sport: s.sport,
    dport: s.dport,
    inIface,
    outIface,
    state: s.state,
    dnat: s.dnat,
    snat: s.snat,
    direction: s.state === 'NEW' ? 'ORIGINAL' : 'REPLY',
    addressType: (address) => addressType(dataplane.routing, address),
  };
}

function stopLeg(stop: Stop, path: PathStep[], egress: Egress): Leg {
  return { verdict: stop.verdict, decidedBy: stop.step, path, out: null, egress, reason: stop.reason };
}

const NO_EGRESS: Egress = { dev: '', via: null, table: null, rulePriority: null };

function routeStop(route: RouteResult): Stop | null {
  if (route.kind === 'none') return { verdict: 'drop', step: null, reason: `routing: ${route.reason}` };
  if (route.kind === 'unknown') return { verdict: 'unknown', step: null, reason: `routing: ${route.reason}` };
  return null;
}

function firstLeg(
  dataplane: Dataplane,
  packet: Packet,
  intent: ConnectionIntent,
): { leg: Leg; toward: boolean; local: boolean } {
  const path: PathStep[] = [];
  const s: LegState = {
    src: packet.src,
    dst: packet.dst,
    sport: packet.sport,
    dport: packet.dport,
    proto: packet.proto,
    state: 'NEW',
    dnat: false,
    snat: false,
  };
  const fail = (stop: Stop, egress = NO_EGRESS): { leg: Leg; toward: boolean; local: boolean } => ({
    leg: stopLeg(stop, path, egress),
    toward: false,
    local: false,
  });

  const pre = walkAll(dataplane, 'nat', 'PREROUTING', () => context(dataplane, s, packet.inIface, null), path);
  if (isStop(pre)) return fail(pre);
  if (pre?.kind === 'dnat') {
    s.dst = pre.ip;
    if (pre.port !== null) s.dport = pre.port;
    s.dnat = true;
  }
  const marked = path.some((step) => step.action === 'MARK');
  const route = lookupRoute(dataplane.routing, {
    src: parseAddress(s.src),
    dst: parseAddress(s.dst),
    iif: packet.inIface,
    marked,
  });
  const stopped = routeStop(route);
  if (stopped) return fail(stopped, route.egress);
  const local = route.kind === 'local';
  const outIface = local ? null : route.egress.dev;
  const filter = walkAll(
    dataplane,
    'filter',
    local ? 'INPUT' : 'FORWARD',
    () => context(dataplane, s, packet.inIface, outIface),
    path,
  );
  if (isStop(filter)) return fail(filter, route.egress);
  const decidedBy = filter?.step ?? null;
  const post = walkAll(
    dataplane,
    'nat',
    local ? 'INPUT' : 'POSTROUTING',
    () => context(dataplane, s, local ? packet.inIface : null, outIface),
    path,
  );
  if (isStop(post)) return fail(post, route.egress);
  if (post?.kind === 'snat') {
    s.src =
      post.ip ??
      (route.kind === 'forward' ? route.prefsrc : null) ??
      addressOn(dataplane.routing, route.egress.dev) ??
      s.src;
    s.snat = true;
  }
  const out: Packet = {
    src: s.src,
    dst: s.dst,
    proto: packet.proto,
    dport: s.dport ?? packet.dport,
    sport: s.sport,
    inIface: packet.inIface,
  };
  const toward = towardDestination(dataplane, s.dst, route, intent);
  const leg: Leg = { verdict: 'accept', decidedBy, path, out, egress: route.egress, reason: toward };
  return { leg, toward: toward === null, local };
}

/**
 * A LAN-bound packet must leave where the main table puts its destination: a policy route
 * that sends it into the tunnel does not reach it. Only the default route leaves the choice open.
 */
function towardDestination(
  dataplane: Dataplane,
  dst: string,
  route: RouteResult,
  intent: ConnectionIntent,
): string | null {
  if (intent.expectDestination !== undefined && intent.expectDestination !== dst) {
    return `delivered to ${route.kind === 'local' ? 'the wireguard target itself' : dst}, not ${intent.expectDestination}`;
  }
  if (route.kind === 'local') return null;
  const home = tableMatch(dataplane.routing, 'main', parseAddress(dst));
  if (home === undefined || home.dst.endsWith('/0') || home.type !== 'unicast') return null;
  if (home.dev === route.egress.dev) return null;
  return `routed out ${route.egress.dev}${route.egress.via === null ? '' : ` via ${route.egress.via}`} (table ${route.egress.table ?? '?'}), but ${dst} lives on ${home.dev} (${home.dst} in table main)`;
}

function replyLeg(dataplane: Dataplane, packet: Packet, first: Leg, local: boolean): Leg {
  const out = first.out as Packet;
  const path: PathStep[] = [];
  // conntrack undoes the SNAT before routing; the DNAT is undone after filter, on the way out.
  const s: LegState = {
    src: out.dst,
    dst: packet.src,
    sport: out.dport,
    dport: packet.sport,
    proto: packet.proto,
    state: 'ESTABLISHED',
    dnat: out.dst !== packet.dst,
    snat: out.src !== packet.src,
  };
  const inIface = local ? 'lo' : first.egress.dev;
  const route = lookupRoute(dataplane.routing, { src: parseAddress(s.src), dst: parseAddress(s.dst), iif: inIface });
  const stopped = routeStop(route);
  if (stopped) return stopLeg(stopped, path, route.egress);
  if (route.kind === 'local')
    return stopLeg(
      { verdict: 'drop', step: null, reason: `reply to ${s.dst} is delivered to the target itself` },
      path,
      route.egress,
    );
  const filter = walkAll(
    dataplane,
    'filter',
    local ? 'OUTPUT' : 'FORWARD',
    () => context(dataplane, s, local ? null : inIface, route.egress.dev),
    path,
  );
  if (isStop(filter)) return stopLeg(filter, path, route.egress);
  const decidedBy = filter?.step ?? null;
  const back: Packet = {
    src: packet.dst,
    dst: packet.src,
    proto: packet.proto,
    dport: packet.sport ?? 0,
    sport: packet.dport,
    inIface,
  };
  if (route.egress.dev !== packet.inIface) {
    return {
      verdict: 'drop',
      decidedBy: null,
      path,
      out: back,
      egress: route.egress,
      reason: `reply routed out ${route.egress.dev}, not back to ${packet.inIface}`,
    };
  }
  return { verdict: 'accept', decidedBy, path, out: back, egress: route.egress, reason: null };
}
