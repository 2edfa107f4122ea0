import type { DesiredState } from '../model/desired-state.js';
import { formatIPv4, parseCidr, parseIPv4 } from '../model/ipv4.js';
import {
  addAddress,
  addRoute,
  connectVeth,
  createNamespace,
  enableForwarding,
  nsRunOk,
  runOk,
  startListener,
  type Endpoint,
  type Listener,
} from './netns.js';

/**
 * A whole cell built of network namespaces, for the demo, the tests and the benchmark.
 *
 *   peer ns (one per peer, per linked cell, one "unknown")      exit ns (one per exit cell: its wg_ip and the "internet" address)
 *            \  /32 veth each                                      /
 *             tun  (router standing in for the WireGuard tunnel; proxy ARP)
 *              |  wg0 <-> tun
 *             wg   (the wireguard target: FORWARD, nat, policy routing; wg-quick's own rules)
 *              |  eth0 <-> eth0
 *             lan  (the cell's Docker network: gateway, caddy's eth0 with the VIPs, the api)
 *              |
 *             inet (an "internet" host)
 *
 * Every listener answers with a label, so a probe knows who answered (caddy, api, a peer's
 * name, "internet", or "exit:<link>" when a peer's internet traffic left through an exit cell).
 */

export const INTERNET_IP = '198.18.0.10';
export const SERVICE_PORT = 80;
export const PEER_PORT = 7;
const TUNNEL_TABLE = 100;

export interface TestbedSource {
  readonly kind: 'peer' | 'link' | 'unknown';
  readonly name: string;
  readonly ip: string;
  readonly ns: string;
}

export interface TestbedCell {
  readonly wg: string;
  readonly lan: string;
  readonly tun: string;
  readonly inet: string;
  readonly sources: readonly TestbedSource[];
  /** The wireguard namespace's own address on wg0, where the api DNAT listens. */
  readonly wgAddress: string;
  readonly apiIp: string;
  readonly listeners: readonly Listener[];
  /** Namespaces made for this cell, for cleanup. */
  readonly namespaces: readonly string[];
}

function hostOf(cidr: string, offset: number): string {
  const parsed = parseCidr(cidr);
  if (parsed === null) throw new Error(`bad CIDR ${cidr}`);
  return formatIPv4(parsed.network + offset);
}

function lastHostOf(cidr: string, back: number): string {
  const parsed = parseCidr(cidr);
  if (parsed === null) throw new Error(`bad CIDR ${cidr}`);
  return formatIPv4(parsed.network + 2 ** (32 - parsed.prefixlen) - 1 - back);
}

async function sysctls(ns: string, settings: readonly string[]): Promise<void> {
  await nsRunOk(ns, ['sysctl', '-q', '-w', ...settings]);
}

/** Builds the namespaces for `state`; the controller is then pointed at `wg` and `lan`. */
export async function buildTestbedCell(state: DesiredState): Promise<TestbedCell> {
  const made: string[] = [];
  const ns = async (): Promise<string> => {
    const name = await createNamespace();
    made.push(name);
    return name;
  };
  const { cell } = state;
  const prefix = cell.ip_range.split('/')[1] ?? '16';
  const peerPrefix = cell.peer_subnet.split('/')[1] ?? '24';
  const wgAddress = hostOf(cell.peer_subnet, 1);
  const tunAddress = lastHostOf(cell.peer_subnet, 1);
  const gateway = hostOf(cell.ip_range, 1);
  const wgEth = hostOf(cell.ip_range, 2);
  const apiIp = hostOf(cell.ip_range, 3);
  const caddyIp = hostOf(cell.ip_range, 5);

  const [wg, tun, lan, inet] = [await ns(), await ns(), await ns(), await ns()];
  await connectVeth(
    { ns: wg, dev: 'wg0', cidr: `${wgAddress}/${peerPrefix}` },
    { ns: tun, dev: 'towg', cidr: `${tunAddress}/${peerPrefix}` },
  );
  await connectVeth(
    { ns: wg, dev: 'eth0', cidr: `${wgEth}/${prefix}` },
    { ns: lan, dev: 'eth0', cidr: `${gateway}/${prefix}` },
  );
  await connectVeth(
    { ns: lan, dev: 'uplink', cidr: '198.18.0.1/24' },
    { ns: inet, dev: 'eth0', cidr: `${INTERNET_IP}/24` },
  );
  await addAddress(lan, 'eth0', `${apiIp}/${prefix}`);
  await addAddress(lan, 'eth0', `${caddyIp}/${prefix}`);
  for (const router of [wg, tun, lan]) await enableForwarding(router);
  for (const each of [wg, tun, lan, inet])
    await sysctls(each, ['net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']);
  await addRoute(wg, ['default', 'via', gateway, 'dev', 'eth0']);
  await addRoute(inet, ['default', 'via', '198.18.0.1']);
  await addRoute(tun, ['default', 'via', wgAddress, 'dev', 'towg']);
  await addRoute(tun, ['default', 'via', wgAddress, 'dev', 'towg', 'table', String(TUNNEL_TABLE)]);
  // wg reaches peers and exit cells on-link through wg0; the tunnel router answers ARP for them.
  await sysctls(tun, ['net.ipv4.conf.towg.proxy_arp=1', 'net.ipv4.neigh.towg.proxy_delay=0']);
  for (const link of state.links) await addRoute(wg, [link.vpn_subnet, 'via', tunAddress, 'dev', 'wg0']);
  // What wg-quick and Docker leave in a real wireguard container: foreign rules we must coexist with.
  await nsRunOk(wg, ['iptables', '-A', 'FORWARD', '-i', 'wg0', '-j', 'ACCEPT']);
  await nsRunOk(wg, ['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth+', '-j', 'MASQUERADE']);

  const sources: TestbedSource[] = [
    ...state.peers.map((p) => ({ kind: 'peer' as const, name: p.name, ip: p.ip })),
    ...state.links.map((l) => ({ kind: 'link' as const, name: l.name, ip: hostOf(l.vpn_subnet, 5) })),
    { kind: 'unknown' as const, name: 'unknown', ip: unusedPeerAddress(state) },
  ].map((s) => ({ ...s, ns: '' }));
  const attached: TestbedSource[] = [];
  let index = 0;
  for (const source of sources) {
    const name = await ns();
    index++;
    await attachHost(tun, name, `h${index}`, [source.ip]);
    attached.push({ ...source, ns: name });
  }
  const exits = new Set(state.peers.map((p) => p.route_via).filter((v): v is string => v !== null));
  const listeners: Listener[] = [];
  for (const link of state.links.filter((l) => exits.has(l.name) && l.wg_ip !== null)) {
    const exit = await ns();
    index++;
    await attachHost(tun, exit, `h${index}`, [link.wg_ip ?? '', INTERNET_IP]);
    listeners.push(await startListener(exit, [{ ip: INTERNET_IP, port: SERVICE_PORT }], `exit:${link.name}`));
  }
  for (const each of [wg, tun, lan, inet, ...made]) await sysctls(each, ['net.ipv4.conf.all.rp_filter=0']);

  listeners.push(await startListener(lan, [{ ip: '0.0.0.0', port: SERVICE_PORT }], 'caddy'));
  listeners.push(await startListener(lan, [{ ip: apiIp, port: 3000 }], 'api'));
  listeners.push(await startListener(inet, [{ ip: INTERNET_IP, port: SERVICE_PORT }], 'internet'));
  for (const source of attached.filter((s) => s.kind === 'peer')) {
    listeners.push(await startListener(source.ns, [{ ip: source.ip, port: PEER_PORT }], source.name));
  }
  return { wg, lan, tun, inet, sources: attached, wgAddress, apiIp, listeners, namespaces: made };
}

/** A host namespace hanging off the tunnel router by its own veth, owning `ips` as /32s. */
async function attachHost(tun: string, host: string, tunDev: string, ips: readonly string[]): Promise<void> {
  await runOk(['ip', 'link', 'add', 'eth0', 'netns', host, 'type', 'veth', 'peer', 'name', tunDev, 'netns', tun]);
  for (const ip of ips) await addAddress(host, 'eth0', `${ip}/32`);
  await runOk(['ip', '-n', host, 'link', 'set', 'eth0', 'up']);
  await runOk(['ip', '-n', tun, 'link', 'set', tunDev, 'up']);
  await addRoute(host, ['default', 'dev', 'eth0']);
  for (const ip of ips) await addRoute(tun, [`${ip}/32`, 'dev', tunDev]);
  // As in WireGuard, everything a host sends goes through the wireguard namespace, even to another host.
  await runOk(['ip', '-n', tun, 'rule', 'add', 'iif', tunDev, 'lookup', String(TUNNEL_TABLE)]);
  // Proxy ARP answers after a random delay of up to 0.8 s by default; a test bench wants none.
  await sysctls(tun, [`net.ipv4.conf.${tunDev}.proxy_arp=1`, `net.ipv4.neigh.${tunDev}.proxy_delay=0`]);
}

/** An address inside peer_subnet that no peer has: the "unknown source" of §5.4. */
function unusedPeerAddress(state: DesiredState): string {
  const used = new Set(state.peers.map((p) => parseIPv4(p.ip)));
  for (let back = 3; ; back++) {
    const candidate = lastHostOf(state.cell.peer_subnet, back);
    if (!used.has(parseIPv4(candidate))) return candidate;
  }
}

/** The endpoints a reachability matrix probes: services, other peers, the internet, the api through the DNAT. */
export function matrixEndpoints(
  state: DesiredState,
  cell: TestbedCell,
): { readonly label: string; readonly endpoint: Endpoint }[] {
  return [
    ...state.cell.services.map((s) => ({ label: s.name, endpoint: { ip: s.vip, port: SERVICE_PORT } })),
    ...state.peers.map((p) => ({ label: `peer:${p.name}`, endpoint: { ip: p.ip, port: PEER_PORT } })),
    { label: 'internet', endpoint: { ip: INTERNET_IP, port: SERVICE_PORT } },
    { label: 'api', endpoint: { ip: cell.wgAddress, port: 3000 } },
  ];
}
