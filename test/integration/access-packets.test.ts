import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveDataplane } from '../../src/access/build-dataplane.js';
import { evaluateConnection } from '../../src/access/evaluate-connection.js';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { nsRunOk } from '../../src/testbed/netns.js';
import { probeMatrix } from '../../src/testbed/probe-matrix.js';
import { matrixEndpoints } from '../../src/testbed/testbed-cell.js';
import { seedCommands } from '../../src/bench/seed-commands.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { readmeExample } from '../helpers/readme-example.js';
import { runExplain } from '../helpers/run-cli.js';
import {
  modelReaches,
  useTestbed,
  writeConfigFile,
  type SuiteTestbed,
  type TestbedFixture,
} from '../helpers/testbed.js';

/** A dropped SYN is told from a slow accept by this wait: generous, since the machine may be loaded. */
const PROBE_TIMEOUT_MS = 2_500;

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

const dump = async (bed: TestbedFixture) => ({
  iptablesSave: await nsRunOk(bed.cell.wg, ['iptables-save']),
  ipRule: await nsRunOk(bed.cell.wg, ['ip', '-4', '-j', 'rule']),
  ipRoute: await nsRunOk(bed.cell.wg, ['ip', '-4', '-j', 'route', 'show', 'table', 'all']),
});

/** source → column → the model's reaches, for the same pairs probeMatrix connects. */
async function modelMatrix(
  bed: TestbedFixture,
  state: DesiredState,
): Promise<Map<string, Map<string, boolean | null>>> {
  const live = liveDataplane(await dump(bed), () => null);
  if (!live.ok) throw new Error(live.error);
  const rows = new Map<string, Map<string, boolean | null>>();
  for (const source of bed.cell.sources) {
    const cells = new Map<string, boolean | null>();
    for (const target of matrixEndpoints(state, bed.cell)) {
      if (target.endpoint.ip === source.ip) continue;
      cells.set(target.label, modelReaches(live.value, bed, source.ip, target));
    }
    rows.set(source.kind === 'link' ? `cell:${source.name}` : source.name, cells);
  }
  return rows;
}

async function disagreements(bed: TestbedFixture, state: DesiredState): Promise<string[]> {
  const [model, probed] = await Promise.all([modelMatrix(bed, state), probeMatrix(state, bed.cell, PROBE_TIMEOUT_MS)]);
  const out: string[] = [];
  for (const row of probed) {
    for (const [column, answer] of Object.entries(row.cells)) {
      const reaches = model.get(row.source)?.get(column);
      if (reaches !== (answer !== null))
        out.push(`${row.source} → ${column}: model ${String(reaches)}, TCP ${answer ?? 'no answer'}`);
    }
  }
  expect(probed.flatMap((r) => Object.keys(r.cells)).length).toBeGreaterThan(40);
  return out;
}

/**
 * The packet model's truth is real TCP: on the namespace cell, for every pair the testbed
 * probes, the model's `reaches` over the live iptables-save, ip rules and routes of the
 * wireguard namespace equals whether a real connection is answered.
 */
describe('the packet model against real connections on a namespace cell', () => {
  const t = useTestbed(ready, 'state', {
    setup: async ({ state, bed }) => {
      const result = await reconcileCell(state, bed.targets, bed.layout);
      expect(result.converged).toBe(true);
    },
  });

  it('agrees after apply', async () => {
    expect(await disagreements(t.bed, t.state)).toEqual([]);
  });

  it("explain, live on a cell whose other backend is empty, ends at the PIC rule that allowed it: the README's example", async () => {
    const config = await writeConfigFile(t.bed);
    const text = await runExplain(['--config', config], 'bob', 'mail');
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      readmeExample(await readFile('README.md', 'utf8'), 'explain --state state --from bob --to mail'),
    );
    const json = JSON.parse((await runExplain(['--config', config], 'bob', 'mail', '--json')).stdout) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({
      verdict: 'accept',
      reaches: true,
      decided_by: {
        ruleset: 'nft',
        chain: 'PIC-PEER-10-0-0-3',
        index: 3,
        owner: 'pic',
        source: { file: 'peers/bob.json', pointer: '/service_access/1' },
      },
      reply: { decided_by: { ruleset: 'nft', chain: 'FORWARD', owner: 'policy' } },
    });
    // The empty legacy tables add no step; a DROP policy there would be the one that decides.
    expect(JSON.stringify(json['path'])).not.toContain('"legacy"');
  });

  it('agrees after a foreign DROP is inserted above our jump in FORWARD', async () => {
    await nsRunOk(t.bed.cell.wg, ['iptables', '-I', 'FORWARD', '1', '-d', '172.20.0.21/32', '-j', 'DROP']);
    await nsRunOk(t.bed.cell.wg, [
      'iptables',
      '-I',
      'FORWARD',
      '1',
      '-s',
      '10.0.0.2/32',
      '-d',
      '10.0.0.0/24',
      '-j',
      'DROP',
    ]);
    expect(await disagreements(t.bed, t.state)).toEqual([]);
    const model = await modelMatrix(t.bed, t.state);
    expect(model.get('alice')?.get('calendar')).toBe(false);
    expect(model.get('alice')?.get('peer:bob')).toBe(false);
    expect(model.get('alice')?.get('files')).toBe(true);
  });

  it('explain, through the built CLI, names the foreign rule that decides, live and from a saved dump', async () => {
    const config = await writeConfigFile(t.bed);
    const live = await runExplain(['--config', config], 'bob', 'calendar', '--json');
    expect(live.stderr).toBe('');
    expect(live.code).toBe(0);
    const answer = JSON.parse(live.stdout) as {
      verdict: string;
      reaches: boolean;
      decided_by: { chain: string; index: number; owner: string; rule: string };
    };
    expect(answer).toMatchObject({
      verdict: 'drop',
      reaches: false,
      decided_by: { chain: 'FORWARD', index: 2, owner: 'foreign', rule: '-d 172.20.0.21/32 -j DROP' },
    });

    const saved = join(t.bed.workDir, 'saved');
    await mkdir(saved);
    const d = await dump(t.bed);
    await Promise.all([
      writeFile(join(saved, 'iptables-save.txt'), d.iptablesSave),
      writeFile(join(saved, 'ip-rule.json'), d.ipRule),
      writeFile(join(saved, 'ip-route.json'), d.ipRoute),
      writeFile(join(saved, 'api-ip.txt'), `${t.bed.cell.apiIp}\n`),
    ]);
    const fromDump = await runExplain(['--from-dump', saved], 'bob', 'mail');
    expect(fromDump.code).toBe(0);
    expect(fromDump.stdout).toContain('filter PIC-PEER-10-0-0-3 #3');
    expect(fromDump.stdout).toContain('(peers/bob.json /service_access/1)');
    expect(fromDump.stdout).toMatch(/reaches: yes/);
    const api = await runExplain(['--from-dump', saved], 'cell:paris', 'api', '--json');
    expect(JSON.parse(api.stdout)).toMatchObject({ reaches: true, out: { dst: t.bed.cell.apiIp, dport: 3000 } });
    const bad = await runExplain(['--from-dump', saved], 'nobody', 'mail');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('from: "nobody" is no peer');
  });
});

/** Puts on the testbed what the seed leaves in a cell before the take-over. */
async function leaveSeedRules({ state, bed }: SuiteTestbed): Promise<void> {
  // What the seed leaves before the take-over: tagged rules straight in FORWARD, the port-3000 hole, the DNAT without a destination match.
  for (const command of seedCommands(state, bed.cell.apiIp).filter((c) => c[0] === 'iptables'))
    await nsRunOk(bed.cell.wg, command);
  await nsRunOk(bed.cell.wg, [
    'iptables',
    '-I',
    'FORWARD',
    '-i',
    'wg0',
    '-o',
    'eth0',
    '-p',
    'tcp',
    '--dport',
    '3000',
    '-j',
    'ACCEPT',
  ]);
  await nsRunOk(bed.cell.wg, [
    'iptables',
    '-t',
    'nat',
    '-A',
    'PREROUTING',
    '-i',
    'wg0',
    '-p',
    'tcp',
    '--dport',
    '3000',
    '-j',
    'DNAT',
    '--to-destination',
    `${bed.cell.apiIp}:3000`,
  ]);
  // The seed's VIPs, unlabelled, on caddy's side: the model sees only the wireguard target, so they must exist for TCP to be its truth.
  for (const service of state.cell.services)
    await nsRunOk(bed.cell.lan, ['ip', 'addr', 'add', `${service.vip}/16`, 'dev', 'eth0']);
}

describe("the packet model against real connections while the seed's rules are in place", () => {
  const t = useTestbed(ready, 'state', { setup: leaveSeedRules });

  it('agrees before the take-over, seed defects included', async () => {
    expect(await disagreements(t.bed, t.state)).toEqual([]);
    // The seed's DNAT hijacks every port-3000 connection from the tunnel (DESIGN §5.2): the model sees it too.
    const live = liveDataplane(await dump(t.bed), () => null);
    if (!live.ok) throw new Error(live.error);
    const hijacked = evaluateConnection(live.value, {
      src: '10.0.0.3',
      dst: '198.18.0.10',
      proto: 'tcp',
      dport: 3000,
      sport: null,
      inIface: 'wg0',
    });
    expect(hijacked.first.out?.dst).toBe(t.bed.cell.apiIp);
  });

  it('agrees after the take-over', async () => {
    expect((await reconcileCell(t.state, t.bed.targets, t.bed.layout)).converged).toBe(true);
    expect(await disagreements(t.bed, t.state)).toEqual([]);
  });
});
