import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callLine, type SeedCall } from './seed-recording.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import type { TestbedCell } from '../../src/testbed/testbed-cell.js';

/**
 * Runs the old module's own code (firewall_manager.py) against a testbed cell, to record what it
 * does (scripts/record-seed.sh); the tests replay that recording (replay-seed.ts).
 *
 * The module calls `docker`; a shim first on PATH maps what it runs onto the namespaces:
 *   docker exec [-i] cell-wireguard ARGS   →  ip netns exec <wg ns> ARGS
 *   docker exec [-i] cell-caddy ARGS       →  ip netns exec <lan ns> ARGS
 *   docker inspect ... cell-api            →  prints the testbed's api address
 *   docker kill --signal=SIGUSR1 cell-dns  →  exit 0 (no CoreDNS here)
 * and logs every call exactly (argv, exit code, stdin) as one JSON line.
 */

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where the old module is looked for when re-recording: the steering repo's shared/ beside the clone. */
export const DEFAULT_SEED_DIR = resolve(REPO_ROOT, '..', 'shared', 'seed');

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

/** The `docker` stand-in, in node (on PATH wherever the tests run): exact argv and stdin, no shell quoting. */
const SHIM = `
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const [log, wg, lan, apiIp] = JSON.parse(process.env.PIC_SEED_SHIM);
const argv = process.argv.slice(2);
let result = { exit: 127, stdout: '', stderr: 'docker shim: unsupported: ' + argv.join(' ') + '\\n' };
if (argv[0] === 'exec') {
  const interactive = argv[1] === '-i';
  const [container, ...args] = argv.slice(interactive ? 2 : 1);
  const ns = { 'cell-wireguard': wg, 'cell-caddy': lan }[container];
  if (ns !== undefined) {
    const stdin = interactive ? fs.readFileSync(0, 'utf8') : undefined;
    const r = spawnSync('ip', ['netns', 'exec', ns, ...args], { input: stdin, encoding: 'utf8' });
    result = { exit: r.status ?? 128, stdout: r.stdout, stderr: r.stderr, stdin };
  }
} else if (argv[0] === 'inspect' && argv[argv.length - 1] === 'cell-api') {
  result = { exit: 0, stdout: apiIp + '\\n', stderr: '' };
} else if (argv.join(' ') === 'kill --signal=SIGUSR1 cell-dns') {
  result = { exit: 0, stdout: '', stderr: '' };
}
fs.appendFileSync(log, JSON.stringify({ argv, exit: result.exit, stdin: result.stdin }) + '\\n');
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.exit;
`;

/**
 * Configures the testbed cell as the old module does at startup for `state` (converted to its
 * registry): VIPs on caddy, per-peer and per-cell FORWARD rules, the api DNAT, the Corefile
 * at corefilePath, and for each peer with route_via the policy routing of its Phase 3
 * commit (`ip rule add from <ip> lookup <table>`, `ip route add default via <wg_ip> dev wg0
 * table <table>`). Returns every docker call; throws when any failed but an `iptables -C` probe.
 */
export async function runSeedOnTestbed(
  seedDir: string,
  cell: TestbedCell,
  state: DesiredState,
  corefilePath: string,
): Promise<SeedCall[]> {
  const registry = seedRegistry(state);
  const dir = await mkdtemp(join(tmpdir(), 'pict-seed-'));
  const log = join(dir, 'calls.log');
  const shim = join(dir, 'docker');
  await writeFile(shim, `#!${process.execPath}\n${SHIM}`);
  await chmod(shim, 0o755);
  await writeFile(log, '');
  const env = {
    ...process.env,
    PATH: `${dir}:${process.env.PATH ?? ''}`,
    PYTHONDONTWRITEBYTECODE: '1',
    PIC_SEED_SHIM: JSON.stringify([log, cell.wg, cell.lan, cell.apiIp]),
  };
  try {
    const input = JSON.stringify({ ...registry, corefile: corefilePath, domain: state.cell.domain });
    const seed = spawnSync('python3', ['-c', DRIVER, seedDir], { input, env, encoding: 'utf8' });
    if (seed.status !== 0) throw new Error(`the seed failed (exit ${seed.status}): ${seed.stderr.trim()}`);
    const exits = state.links.filter((l) => state.peers.some((p) => p.route_via === l.name));
    for (const [i, link] of exits.entries()) {
      const table = String(SEED_ROUTE_TABLE_BASE + i);
      // onlink: here wg0 is a veth, and the exit's address is routed via the tunnel router rather than on the link as with WireGuard.
      const route = ['ip', 'route', 'add', 'default', 'via', link.wg_ip ?? '', 'dev', 'wg0', 'table', table, 'onlink'];
      dockerShim(shim, env, ['exec', 'cell-wireguard', ...route]);
      for (const peer of state.peers.filter((p) => p.route_via === link.name)) {
        dockerShim(shim, env, ['exec', 'cell-wireguard', 'ip', 'rule', 'add', 'from', peer.ip, 'lookup', table]);
      }
    }
    const calls = (await readFile(log, 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as SeedCall);
    const failed = calls.filter((c) => c.exit !== 0 && !/^exec \S+ iptables (-t nat )?-C /.test(c.argv.join(' ')));
    if (failed.length > 0)
      throw new Error(`the seed's commands failed:\n${failed.map(callLine).join('\n')}\n${seed.stderr}`);
    return calls;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function dockerShim(shim: string, env: NodeJS.ProcessEnv, args: readonly string[]): void {
  const result = spawnSync(shim, args, { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: exit ${result.status}: ${result.stderr.trim()}`);
}
