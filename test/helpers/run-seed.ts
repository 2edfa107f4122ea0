import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failOrSkip } from './prerequisites.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import type { TestbedCell } from '../../src/testbed/testbed-cell.js';

/**
 * Runs the seed's own code (firewall_manager.py) against a testbed cell, so tests compare
 * the controller with the real thing rather than with a copy of its rules.
 *
 * The seed calls `docker`; a shim first on PATH maps what it runs onto the namespaces:
 *   docker exec [-i] cell-wireguard ARGS   →  ip netns exec <wg ns> ARGS
 *   docker exec [-i] cell-caddy ARGS       →  ip netns exec <lan ns> ARGS
 *   docker inspect ... cell-api            →  prints the testbed's api address
 *   docker kill --signal=SIGUSR1 cell-dns  →  exit 0 (no CoreDNS here)
 * and logs every call with its exit code.
 */

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The steering repo's shared/ sits beside the clone, here and in CI. */
export const SEED_DIR = resolve(REPO_ROOT, '..', 'shared', 'seed');
const SEED_MODULE = join(SEED_DIR, 'firewall_manager.py');

/** The seed's hard-coded layout (SERVICE_IPS, the 10.0.0.0/24 in apply_peer_rules, the /16 in ensure_caddy_virtual_ips). */
const SEED_SERVICES: readonly [string, string][] = [
  ['calendar', '172.20.0.21'],
  ['files', '172.20.0.22'],
  ['mail', '172.20.0.23'],
  ['webdav', '172.20.0.24'],
];
const SEED_PEER_SUBNET = '10.0.0.0/24';
const SEED_IP_RANGE = '172.20.0.0/16';
/** The seed's commit names no table for route_via; one per exit cell from here on. */
const SEED_ROUTE_TABLE_BASE = 200;

/**
 * Call at the top of a suite that runs the seed, like requirePrerequisites: without the seed
 * or python3 the suite FAILS in CI (CI=true) with the reason, and is skipped elsewhere.
 */
export function requireSeed(): { readonly ok: boolean; readonly reason: string | null } {
  const missing = [
    ...(existsSync(SEED_MODULE) ? [] : [`the seed (${SEED_MODULE}; shared/ must sit beside the clone)`]),
    ...(spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0 ? [] : ['python3']),
  ];
  if (missing.length === 0) return { ok: true, reason: null };
  return failOrSkip(`missing: ${missing.join(', ')}`);
}

/** The seed's registry entries (peer_registry, cell links) for a desired state. */
export function seedRegistry(state: DesiredState): { peers: object[]; links: object[] } {
  const services = state.cell.services.map((s) => [s.name, s.vip]);
  if (
    JSON.stringify(services) !== JSON.stringify(SEED_SERVICES) ||
    state.cell.peer_subnet !== SEED_PEER_SUBNET ||
    state.cell.ip_range !== SEED_IP_RANGE
  ) {
    throw new Error(
      `the seed hard-codes services ${JSON.stringify(SEED_SERVICES)}, peer subnet ${SEED_PEER_SUBNET} and ip_range ${SEED_IP_RANGE}; this state differs`,
    );
  }
  return {
    peers: state.peers.map((p) => ({
      peer: p.name,
      ip: p.ip,
      internet_access: p.internet_access,
      service_access: [...p.service_access],
      peer_access: p.peer_access,
      route_via: p.route_via,
    })),
    links: state.links.map((l) => ({
      cell_name: l.name,
      vpn_subnet: l.vpn_subnet,
      domain: l.domain ?? '',
      dns_ip: l.dns_ip ?? '',
      permissions: { inbound: { ...l.permissions.inbound } },
      remote_exit_relay_active: l.remote_exit_relay_active,
    })),
  };
}

const DRIVER = `
import json, logging, sys
sys.path.insert(0, sys.argv[1])
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
import firewall_manager as fm
d = json.load(sys.stdin)
fm.ensure_caddy_virtual_ips()
fm.apply_all_peer_rules(d['peers'])
fm.apply_all_cell_rules(d['links'])
if not fm.ensure_cell_api_dnat():
    sys.exit('ensure_cell_api_dnat failed')
if not fm.generate_corefile(d['peers'], d['corefile'], d['domain'], d['links']):
    sys.exit('generate_corefile failed')
`;

function shimScript(cell: TestbedCell, log: string): string {
  return `#!/bin/sh
log='${log}'
call() { "$@"; rc=$?; printf '%s %s\\n' "$rc" "$*" >> "$log"; exit $rc; }
case "$1" in
  exec)
    shift; [ "$1" = -i ] && shift
    container=$1; shift
    case "$container" in
      cell-wireguard) call ip netns exec '${cell.wg}' "$@" ;;
      cell-caddy) call ip netns exec '${cell.lan}' "$@" ;;
    esac ;;
  inspect)
    for last; do :; done
    [ "$last" = cell-api ] && { echo '${cell.apiIp}'; echo "0 docker $*" >> "$log"; exit 0; } ;;
  kill)
    [ "$*" = 'kill --signal=SIGUSR1 cell-dns' ] && { echo "0 docker $*" >> "$log"; exit 0; } ;;
esac
echo "docker shim: unsupported: $*" >&2
echo "127 docker $*" >> "$log"
exit 127
`;
}

export interface SeedRun {
  /** Every `docker` call the seed made, as `<exit code> <command>`. */
  readonly calls: readonly string[];
  readonly durationMs: number;
}

/**
 * Configures the testbed cell as the seed does at startup for `state` (converted to its
 * registry): VIPs on caddy, per-peer and per-cell FORWARD rules, the api DNAT, the Corefile
 * at corefilePath, and for each peer with route_via the policy routing of the seed's Phase 3
 * commit (`ip rule add from <ip> lookup <table>`, `ip route add default via <wg_ip> dev wg0
 * table <table>`). Throws when any command failed, other than the seed's `iptables -C` probes.
 */
export async function runSeedOnTestbed(cell: TestbedCell, state: DesiredState, corefilePath: string): Promise<SeedRun> {
  const registry = seedRegistry(state);
  const dir = await mkdtemp(join(tmpdir(), 'pict-seed-'));
  const log = join(dir, 'calls.log');
  const shim = join(dir, 'docker');
  await writeFile(shim, shimScript(cell, log));
  await chmod(shim, 0o755);
  await writeFile(log, '');
  const env = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, PYTHONDONTWRITEBYTECODE: '1' };
  const started = performance.now();
  try {
    const input = JSON.stringify({ ...registry, corefile: corefilePath, domain: state.cell.domain });
    const seed = spawnSync('python3', ['-c', DRIVER, SEED_DIR], { input, env, encoding: 'utf8' });
    if (seed.status !== 0) throw new Error(`the seed failed (exit ${seed.status}): ${seed.stderr.trim()}`);
    const exits = state.links.filter((l) => state.peers.some((p) => p.route_via === l.name));
    for (const [i, link] of exits.entries()) {
      const table = String(SEED_ROUTE_TABLE_BASE + i);
      // onlink: here wg0 is a veth, and the exit's address is routed via the tunnel router rather than on the link as with WireGuard.
      dockerShim(shim, env, [
        'exec',
        'cell-wireguard',
        'ip',
        'route',
        'add',
        'default',
        'via',
        link.wg_ip ?? '',
        'dev',
        'wg0',
        'table',
        table,
        'onlink',
      ]);
      for (const peer of state.peers.filter((p) => p.route_via === link.name)) {
        dockerShim(shim, env, ['exec', 'cell-wireguard', 'ip', 'rule', 'add', 'from', peer.ip, 'lookup', table]);
      }
    }
    const durationMs = performance.now() - started;
    const calls = (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
    const failed = calls.filter((line) => !line.startsWith('0 ') && !/ iptables (-t nat )?-C /.test(line));
    if (failed.length > 0) throw new Error(`the seed's commands failed:\n${failed.join('\n')}\n${seed.stderr}`);
    return { calls, durationMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function dockerShim(shim: string, env: NodeJS.ProcessEnv, args: readonly string[]): void {
  const result = spawnSync(shim, args, { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: exit ${result.status}: ${result.stderr.trim()}`);
}
