import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCellTargets } from '../../src/targets/open-cell-targets.js';
import { layoutOf, loadControllerConfig } from '../../src/config/controller-config.js';
import { reconcileCell, type ReconcileResult } from '../../src/pass/reconcile-cell.js';
import type { CellTargets } from '../../src/model/cell-targets.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import type { LayoutConfig } from '../../src/model/facts.js';
import { observeCell } from '../../src/observe/observe-cell.js';
import { createRecordingTarget, type RecordingTarget } from '../../src/testbed/recording-target.js';
import { dockerClient } from '../../src/targets/docker-client.js';
import { removeContainer, runContainer } from '../../src/targets/docker-container-lifecycle.js';
import { createDockerTarget } from '../../src/targets/docker-target.js';
import { buildState } from '../helpers/build-state.js';
import {
  buildTestImage,
  containerName,
  ensureDockerDaemon,
  removeTestContainers,
  startTestContainer,
  testCellNetwork,
} from '../helpers/docker.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { loadValidState } from '../helpers/testbed.js';

/**
 * The whole controller against real containers, as deployed: `docker:` locators in a config
 * file, commands through the Docker Engine API, the Corefile in a host folder the dns container mounts, and
 * SIGUSR1 to that container. Its main process stands in for CoreDNS: on USR1 it records the
 * checksum of the Corefile it sees, so the test counts reloads and knows what each one read.
 */

const ready = requirePrerequisites(['root', 'dockerd', 'docker', 'busybox', 'iptables', 'ip']);
const DNS_MOUNT = '/config';
const RELOAD_LOG = 'reloads';
const DNS_MAIN = [
  'sh',
  '-c',
  `trap "md5sum ${DNS_MOUNT}/Corefile >> ${DNS_MOUNT}/${RELOAD_LOG}" USR1; while true; do sleep 0.1; done`,
];
// What wg-quick would leave in the wireguard container: a wg0 with the cell's tunnel address (a veth stands in).
// The full path, because busybox's shell prefers its own `ip` applet, which cannot make a veth.
const IP = '/usr/sbin/ip';
const MAKE_WG0 = `${IP} link add wg0 type veth peer name wgpeer && ${IP} addr add 10.0.0.1/24 dev wg0 && ${IP} link set wg0 up && ${IP} link set wgpeer up`;
const PEERS = 200;

type Counted = CellTargets & { readonly wireguard: RecordingTarget; readonly caddy: RecordingTarget };

interface AddrInfo {
  readonly family: string;
  readonly local: string;
  readonly prefixlen: number;
  readonly label?: string;
}

/**
 * A state of 200 peers that differs from the example in every part: rules, routes, VIPs (another
 * ip_range prefix) and Corefile. The ip_range still holds the api's network (testCellNetwork).
 */
function generatedState(example: DesiredState): DesiredState {
  return buildState({
    cell: { ...example.cell, ip_range: '172.20.0.0/17', services: example.cell.services.map((s) => s.name) },
    peers: Array.from({ length: PEERS }, (_, i) => ({
      name: `gen-${i}`,
      internet_access: i % 3 !== 0,
      service_access: example.cell.services.filter((_, s) => (i >> s) % 2 === 0).map((s) => s.name),
      peer_access: i % 2 === 0,
      route_via: i % 10 === 0 ? 'paris' : null,
    })),
    links: example.links,
  });
}

describe('docker end to end: wireguard, caddy, dns and api containers', () => {
  let example: DesiredState;
  let targets: Counted;
  let layout: LayoutConfig;
  let shared = '';
  let corefile = '';
  const names = { wireguard: '', caddy: '', dns: containerName('dns'), api: '' };

  beforeAll(async () => {
    if (!ready.ok) return;
    await ensureDockerDaemon();
    const image = await buildTestImage();
    shared = await mkdtemp(join(tmpdir(), 'pict-dns-'));
    corefile = join(shared, 'Corefile');
    // startTestContainer has no bind mounts; the dns container is made here and removed in afterAll.
    [names.wireguard, names.caddy, names.api] = await Promise.all([
      startTestContainer({ role: 'wireguard', image }),
      startTestContainer({ role: 'caddy', image }),
      startTestContainer({ role: 'api', image }),
      testCellNetwork().then((network) =>
        runContainer(dockerClient(), names.dns, {
          Image: image,
          Cmd: DNS_MAIN,
          HostConfig: { Binds: [`${shared}:${DNS_MOUNT}`], NetworkMode: network },
        }),
      ),
    ]);
    const wg0 = await createDockerTarget(names.wireguard).exec(['sh', '-c', MAKE_WG0]);
    expect(wg0.stderr).toBe('');
    const configFile = join(shared, 'controller.json');
    await writeFile(
      configFile,
      JSON.stringify({
        targets: {
          wireguard: `docker:${names.wireguard}`,
          caddy: `docker:${names.caddy}`,
          dns: `docker:${names.dns}`,
          api: `docker:${names.api}`,
        },
        corefile,
      }),
    );
    const config = await loadControllerConfig(configFile);
    if (!config.ok) throw new Error(config.error);
    const plain = openCellTargets(config.config);
    targets = {
      ...plain,
      wireguard: createRecordingTarget(plain.wireguard),
      caddy: createRecordingTarget(plain.caddy),
    };
    layout = layoutOf(config.config);
    example = await loadValidState('state');
  });
  afterAll(async () => {
    await removeContainer(dockerClient(), names.dns);
    await removeTestContainers();
    if (shared !== '') await rm(shared, { recursive: true, force: true });
  });

  const execs = (): number => targets.wireguard.records.length + targets.caddy.records.length;
  const reset = (): void => {
    targets.wireguard.take();
    targets.caddy.take();
  };
  /** One reconcile and the number of docker execs it took. */
  const counted = async (state: DesiredState): Promise<{ result: ReconcileResult; execs: number; ms: number }> => {
    reset();
    const started = performance.now();
    const result = await reconcileCell(state, targets, layout);
    return { result, execs: execs(), ms: Math.round(performance.now() - started) };
  };
  const inside = async (name: string, argv: readonly string[]): Promise<string> => {
    const result = await createDockerTarget(name).exec(argv);
    if (result.exitCode !== 0) throw new Error(`${name}: ${argv.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const reloads = async (): Promise<string[]> =>
    (await readFile(join(shared, RELOAD_LOG), 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');
  /** Waits for the dns container's trap to run (its loop sleeps 0.1 s between checks). */
  const reloadsAfter = async (settleMs: number): Promise<string[]> => {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return reloads();
  };
  const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

  const measured: Record<string, number> = {};

  it('converges the example cell in the containers, with the api container real address and one reload', async () => {
    reset();
    await observeCell(targets, layout);
    measured['observe'] = execs();

    const { result, execs: changeExecs, ms } = await counted(example);
    measured['change (example)'] = changeExecs;
    console.info(`[docker-e2e] first reconcile: ${ms} ms, ${changeExecs} docker execs`);
    expect(result.errors).toEqual([]);
    expect(result.converged).toBe(true);
    expect(result.apply?.counts).toEqual({ restores: 1, ipBatches: 2, fileWrites: 1, signals: 1 });

    // The api address as the api container itself sees it, not as the controller looked it up.
    const apiAddr = JSON.parse(await inside(names.api, ['ip', '-j', '-4', 'addr', 'show', 'dev', 'eth0'])) as {
      addr_info: AddrInfo[];
    }[];
    const apiIp = apiAddr[0]?.addr_info[0]?.local ?? '';
    expect(apiIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const nat = (await inside(names.wireguard, ['iptables-save', '-t', 'nat'])).split('\n');
    expect(nat.filter((l) => l.startsWith('-A PIC-PREROUTING'))).toEqual([
      expect.stringMatching(new RegExp(`--dst-type LOCAL .*-j DNAT --to-destination ${apiIp}:3000$`)),
    ]);
    expect(nat.filter((l) => l.startsWith('-A PIC-POSTROUTING'))).toEqual([
      expect.stringMatching(new RegExp(`^-A PIC-POSTROUTING -d ${apiIp}/32 -o eth0 .*-j MASQUERADE$`)),
    ]);
    const filter = await inside(names.wireguard, ['iptables-save', '-t', 'filter']);
    expect(filter.split('\n').find((l) => l.startsWith('-A FORWARD'))).toBe(
      '-A FORWARD -m comment --comment "pic:jump" -j PIC-FORWARD',
    );
    expect(filter).toContain(`-d ${apiIp}/32 -p tcp -m tcp --dport 3000 -m comment --comment pic-cell-paris -j ACCEPT`);
    expect(await inside(names.wireguard, ['ip', 'rule'])).toMatch(/from 10\.0\.0\.4 lookup \d+ proto 252/);

    const caddyAddr = JSON.parse(await inside(names.caddy, ['ip', '-j', 'addr', 'show', 'dev', 'eth0'])) as {
      addr_info: AddrInfo[];
    }[];
    const vips = (caddyAddr[0]?.addr_info ?? [])
      .filter((a) => a.label === 'eth0:pic')
      .map((a) => `${a.local}/${a.prefixlen}`);
    expect(vips).toEqual(['172.20.0.21/16', '172.20.0.22/16', '172.20.0.23/16', '172.20.0.24/16']);

    const text = await readFile(corefile, 'utf8');
    expect(text).toBe(result.rendered.corefile);
    // Exactly one SIGUSR1, and the dns container read the new Corefile through the shared folder.
    expect(await reloadsAfter(500)).toEqual([`${md5(text)}  ${DNS_MOUNT}/Corefile`]);
  });

  it('a second reconcile writes nothing and signals nothing', async () => {
    const { result, execs: noopExecs } = await counted(example);
    measured['no-op (example)'] = noopExecs;
    expect(result.converged).toBe(true);
    expect(result.plan.actions).toEqual([]);
    expect(result.apply).toBeNull();
    expect(noopExecs).toBe(measured['observe']);
    expect(await reloadsAfter(500)).toHaveLength(1);
  });

  it('takes the same number of docker execs for 200 peers as for the example', async () => {
    const big = generatedState(example);
    const change = await counted(big);
    console.info(`[docker-e2e] ${PEERS}-peer change reconcile: ${change.ms} ms, ${change.execs} docker execs`);
    expect(change.result.errors).toEqual([]);
    expect(change.result.converged).toBe(true);
    // Every part changed, as in the first example reconcile.
    expect(change.result.apply?.counts).toEqual({ restores: 1, ipBatches: 2, fileWrites: 1, signals: 1 });
    measured[`change (${PEERS} peers)`] = change.execs;
    const noop = await counted(big);
    expect(noop.result.plan.actions).toEqual([]);
    measured[`no-op (${PEERS} peers)`] = noop.execs;
    console.info(`[docker-e2e] docker execs per reconcile: ${JSON.stringify(measured)}`);

    expect(change.execs).toBe(measured['change (example)']);
    expect(noop.execs).toBe(measured['no-op (example)']);
    // Observe reads three parts; each write reads its own part back, so verify needs no exec of its own.
    expect(change.execs).toBe(6);
    expect(noop.execs).toBe(3);
    const saved = await inside(names.wireguard, ['iptables-save', '-t', 'filter']);
    expect(saved.split('\n').filter((l) => l.startsWith(':PIC-PEER-'))).toHaveLength(PEERS);
    const text = await readFile(corefile, 'utf8');
    expect(text).toBe(change.result.rendered.corefile);
    expect((await reloadsAfter(500)).slice(1)).toEqual([`${md5(text)}  ${DNS_MOUNT}/Corefile`]);
  });
});
