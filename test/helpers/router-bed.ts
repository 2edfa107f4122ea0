import { afterAll, beforeAll } from 'vitest';
import type { ConnectionResult } from '../../src/access/access-types.js';
import { liveDataplane } from '../../src/access/build-dataplane.js';
import { evaluateConnection } from '../../src/access/evaluate-connection.js';
import {
  addRoute,
  cleanupNamespaces,
  connectVeth,
  createNamespace,
  enableForwarding,
  nsRunOk,
  probe,
  startListener,
} from '../../src/testbed/netns.js';
import type { PrerequisiteCheck } from './prerequisites.js';

/**
 * A namespace router between a client and a server, for comparing the packet model with the
 * kernel on any ruleset:
 *
 *   client 192.168.134.10/24 eth0 ── lan0 192.168.134.1  router  wan0 10.20.0.1 ── eth0 10.20.0.2/24 server (listens on :80)
 */
export const CLIENT_IP = '192.168.134.10';
export const SERVER_IP = '10.20.0.2';
export const SERVER_PORT = 80;
/** A dropped SYN is told from a slow accept by this wait. */
const PROBE_MS = 1_500;

export interface RouterBed {
  readonly client: string;
  readonly router: string;
  readonly server: string;
}

/** Builds the three namespaces once for the suite (nothing unless `ready.ok`), removes them after. */
export function useRouterBed(ready: PrerequisiteCheck): () => RouterBed {
  let bed: RouterBed | undefined;
  beforeAll(async () => {
    if (!ready.ok) return;
    const [client, router, server] = [await createNamespace(), await createNamespace(), await createNamespace()];
    await connectVeth(
      { ns: client, dev: 'eth0', cidr: `${CLIENT_IP}/24` },
      { ns: router, dev: 'lan0', cidr: '192.168.134.1/24' },
    );
    await connectVeth(
      { ns: server, dev: 'eth0', cidr: `${SERVER_IP}/24` },
      { ns: router, dev: 'wan0', cidr: '10.20.0.1/24' },
    );
    await enableForwarding(router);
    for (const ns of [client, router, server])
      await nsRunOk(ns, ['sysctl', '-q', '-w', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']);
    await addRoute(client, ['default', 'via', '192.168.134.1']);
    await addRoute(server, ['default', 'via', '10.20.0.1']);
    await startListener(server, [{ ip: SERVER_IP, port: SERVER_PORT }], 'server');
    bed = { client, router, server };
  });
  afterAll(cleanupNamespaces);
  return () => {
    if (bed === undefined) throw new Error('the router bed is read before its beforeAll built it');
    return bed;
  };
}

/** Replaces the router's filter and nat tables with `rules` (iptables-restore lines, without table headers). */
export async function loadRules(
  bed: RouterBed,
  rules: { readonly filter?: readonly string[]; readonly nat?: readonly string[] },
) {
  const filter = rules.filter ?? [];
  const nat = rules.nat ?? [];
  const declared = (lines: readonly string[], builtins: readonly string[]) => {
    const chains = new Set(
      lines.flatMap((l) => (/^-A (\S+)/.exec(l)?.[1] ? [/^-A (\S+)/.exec(l)?.[1] as string] : [])),
    );
    return [...chains].filter((c) => !builtins.includes(c)).map((c) => `:${c} - [0:0]`);
  };
  const policies = (lines: readonly string[]) => lines.filter((l) => l.startsWith(':'));
  const body = (lines: readonly string[]) => lines.filter((l) => !l.startsWith(':'));
  const text = [
    '*filter',
    ...(policies(filter).length > 0
      ? policies(filter)
      : [':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]']),
    ...declared(body(filter), ['INPUT', 'FORWARD', 'OUTPUT']),
    ...body(filter),
    'COMMIT',
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ...declared(nat, ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']),
    ...nat,
    'COMMIT',
    '',
  ].join('\n');
  await nsRunOk(bed.router, ['iptables-restore'], text);
  // A connection of the previous case must not pass as ESTABLISHED in this one.
  await nsRunOk(bed.router, ['sh', '-c', 'command -v conntrack >/dev/null && conntrack -F 2>/dev/null; true']);
}

/** Does a real connection from the client to the server get the server's answer? */
export async function tcpReaches(bed: RouterBed): Promise<boolean> {
  const [result] = await probe(bed.client, [{ ip: SERVER_IP, port: SERVER_PORT }], PROBE_MS);
  return result?.outcome === 'connected' && result.answeredBy === 'server';
}

/** The model's answer for that connection, over the router's live iptables-save, rules and routes. */
export async function modelAnswer(bed: RouterBed): Promise<ConnectionResult> {
  const [iptablesSave, ipRule, ipRoute] = await Promise.all([
    nsRunOk(bed.router, ['iptables-save']),
    nsRunOk(bed.router, ['ip', '-4', '-j', 'rule']),
    nsRunOk(bed.router, ['ip', '-4', '-j', 'route', 'show', 'table', 'all']),
  ]);
  const live = liveDataplane({ iptablesSave, ipRule, ipRoute }, () => null);
  if (!live.ok) throw new Error(live.error);
  const packet = {
    src: CLIENT_IP,
    dst: SERVER_IP,
    proto: 'tcp' as const,
    dport: SERVER_PORT,
    sport: null,
    inIface: 'lan0',
  };
  return evaluateConnection(live.value, packet);
}
