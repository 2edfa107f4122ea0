import { TABLES, BUILTIN_CHAINS, type ObservedIptables } from '../../../src/model/iptables.js';
import type { CellTargets } from '../../../src/model/cell-targets.js';
import type { ObservedAddress } from '../../../src/model/network.js';
import { ProgramNotFoundError, type ExecOptions, type ExecResult } from '../../../src/model/target.js';
import { ROUTING_SHOW } from '../../../src/observe/read-live-output.js';
import { createRecordingTarget, type RecordingTarget } from '../../../src/testbed/recording-target.js';
import { simulateRestore } from '../../helpers/simulate-restore.js';

/** A small cell for the in-memory cell: its Cell resource and the VIPs its caddy holds for the two services. */
export const HOME_CELL = {
  kind: 'Cell',
  name: 'home',
  domain: 'cell',
  ip_range: '172.20.0.0/16',
  peer_subnet: '10.0.0.0/24',
  services: ['calendar', 'files'],
  upstream_dns: ['8.8.8.8'],
  unknown_peers: 'drop',
};
export const HOME_VIPS: readonly ObservedAddress[] = ['172.20.0.21', '172.20.0.22'].map((address) => ({
  address,
  prefixlen: 16,
  label: 'eth0:pic',
}));

/** iptables-save text of observed tables, as the real command prints it. */
export function formatObserved(tables: ObservedIptables): string {
  const lines: string[] = [];
  for (const table of TABLES) {
    lines.push(`*${table}`);
    for (const chain of tables[table].chains.values())
      lines.push(`:${chain.name} ${chain.builtin ? (chain.policy ?? 'ACCEPT') : '-'} [0:0]`);
    for (const chain of tables[table].chains.values())
      for (const rule of chain.rules) lines.push(`-A ${chain.name} ${rule}`);
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}

function emptyTables(): ObservedIptables {
  const table = (name: 'filter' | 'nat') => ({
    chains: new Map(BUILTIN_CHAINS[name].map((c) => [c, { name: c, builtin: true, policy: 'ACCEPT', rules: [] }])),
  });
  return { filter: table('filter'), nat: table('nat') };
}

const ok = (stdout: string): ExecResult => ({ stdout, stderr: '', exitCode: 0 });
const failed = (argv: readonly string[]): ExecResult => ({
  stdout: '',
  stderr: `fake cell: unexpected ${argv.join(' ')}`,
  exitCode: 1,
});

/**
 * A cell kept in memory, behind recording targets, for unit tests of the loop without root:
 * the wireguard target answers `iptables-save`, `iptables-restore --noflush` (through the
 * simulator, as one transaction) and the routing read-out `ip -4 -j -batch -` (no policy
 * rules or routes); it has no shell, as a minimal image. The caddy target answers
 * `ip -j addr show dev eth0` with the addresses it holds. Anything else exits 1.
 */
export class InMemoryCell {
  iptables: ObservedIptables = emptyTables();
  addresses: readonly ObservedAddress[];
  readonly wireguard: RecordingTarget;
  readonly caddy: RecordingTarget;

  constructor(addresses: readonly ObservedAddress[]) {
    this.addresses = addresses;
    this.wireguard = createRecordingTarget({
      locator: 'netns:fake-wg',
      exec: (argv, options) => this.wireguardExec(argv, options),
    });
    this.caddy = createRecordingTarget({ locator: 'netns:fake-lan', exec: async (argv) => this.caddyExec(argv) });
  }

  /** Someone empties one of our chains behind the controller's back; returns its name. */
  flushOwnedChain(): string {
    const [name, chain] =
      [...this.iptables.filter.chains.entries()].find(([n, c]) => n.startsWith('PIC-') && c.rules.length > 0) ?? [];
    if (name === undefined || chain === undefined) throw new Error('no owned chain with rules');
    const filter = new Map(this.iptables.filter.chains);
    filter.set(name, { ...chain, rules: [] });
    this.iptables = { ...this.iptables, filter: { chains: filter } };
    return name;
  }

  targets(corefilePath: string): CellTargets {
    return {
      wireguard: this.wireguard,
      caddy: this.caddy,
      api: { locator: 'ip:172.20.0.3', address: async () => '172.20.0.3' },
      dns: { locator: 'none', reloadPending: false, reload: async () => {} },
      corefilePath,
    };
  }

  private async wireguardExec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    const command = argv.join(' ');
    if (argv[0] === 'sh') throw new ProgramNotFoundError('netns:fake-wg', argv, null, '', 'no shell in this target');
    if (command === 'iptables-save') return ok(formatObserved(this.iptables));
    if (argv[0] === 'iptables-restore' && argv.includes('--noflush')) {
      try {
        this.iptables = simulateRestore(this.iptables, options?.stdin ?? '');
        return ok('');
      } catch (error) {
        return { stdout: '', stderr: (error as Error).message, exitCode: 1 };
      }
    }
    if (command === 'ip -4 -j -batch -' && options?.stdin === ROUTING_SHOW) return ok('[]\n[]\n');
    return failed(argv);
  }

  private caddyExec(argv: readonly string[]): ExecResult {
    if (argv.join(' ') !== 'ip -j addr show dev eth0') return failed(argv);
    const addrInfo = this.addresses.map((a) => ({
      family: 'inet',
      local: a.address,
      prefixlen: a.prefixlen,
      label: a.label,
    }));
    return ok(JSON.stringify([{ ifname: 'eth0', addr_info: addrInfo }]));
  }
}
