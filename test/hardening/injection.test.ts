/**
 * Injection: names, domains and addresses crafted to break out of an iptables comment, a
 * restore line, an `ip` command or a Corefile block are rejected at load, and none of their
 * bytes reach a target. Every payload carries the marker `qzx`, which nothing valid in the
 * state contains, so "no recorded byte sequence contains the payload" is checked for the
 * whole payload and for any piece of it that carries the marker.
 *
 * The reconcile runs twice: against a fake empty cell that records every exec's argv and
 * stdin, and against a real namespace testbed through the same recorder, whose live
 * iptables, addresses, rules and Corefile are then read back and searched too.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllerConfigSchema } from '../../src/config/controller-config.js';
import { loadState } from '../../src/load/load-state.js';
import type { LoadedState } from '../../src/load/loaded-state.js';
import { formatIssue } from '../../src/text/state-issue.js';
import type { CellTargets } from '../../src/model/cell-targets.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { DEFAULT_LAYOUT } from '../../src/model/facts.js';
import { preserveUnattributed } from '../../src/pass/preserve-unattributed.js';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import { cleanupNamespaces, nsRunOk } from '../../src/testbed/netns.js';
import { compareMatrix, probeMatrix } from '../../src/testbed/probe-matrix.js';
import { EXAMPLE_STATE } from '../helpers/build-state.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { createTestbed, type TestbedFixture } from '../helpers/testbed.js';
import { ISSUE_LINE } from '../unit/load/helpers.js';
import { writeStateFiles } from './state-files.js';
import { emptyCellTarget, recordingTarget, type RecordedExec } from './target-decorators.js';
import { isRestoreCommand } from '../../src/apply/apply-plan.js';

const MARKER = 'qzx';

/** Strings meant to escape a comment, a restore line, an argv, a batch line or a Corefile block. */
const PAYLOADS: readonly string[] = [
  `${MARKER}" -j ACCEPT`,
  `${MARKER}' -j ACCEPT`,
  `${MARKER}\n-A FORWARD -j ACCEPT`,
  `${MARKER}\r\nCOMMIT\n*filter`,
  `${MARKER} -j ACCEPT`,
  `-j ACCEPT ${MARKER}`,
  `--${MARKER}`,
  `-${MARKER}`,
  `${MARKER}}\nimport /etc/passwd\n. {`,
  `${MARKER} {`,
  `${MARKER}\u0000x`,
  `${MARKER}\u2028x`,
  `${MARKER}\u0430lice`,
  `${MARKER}\uff11`,
  `${MARKER}\u200b`,
  `${MARKER}${'a'.repeat(100_000)}`,
  `${MARKER}A`,
  `${MARKER};reboot`,
  `${MARKER}$(reboot)`,
  `${MARKER}\`id\``,
  `${MARKER}#x`,
  `${MARKER}/../../etc`,
  `${MARKER}\ttab`,
  ` ${MARKER}`,
  `${MARKER}\\`,
  `10.0.0.5 ${MARKER} -j ACCEPT`,
  `10.0.0.5\n${MARKER}`,
  `10.0.0.0/24${MARKER}`,
  `${MARKER}.cell.`,
  `${MARKER}..cell`,
];

interface Slot {
  readonly name: string;
  /** A valid resource with the payload in one field; files are named after the slot. */
  readonly resource: (payload: string, i: number) => Record<string, unknown>;
}

/** Unique valid values per file, so only the payload can make a file invalid. */
const peerIp = (i: number) => `10.0.0.${100 + (i % 150)}`;
const SLOTS: readonly Slot[] = [
  { name: 'peer-name', resource: (p, i) => ({ kind: 'Peer', name: p, ip: peerIp(i) }) },
  { name: 'peer-ip', resource: (p, i) => ({ kind: 'Peer', name: `h${i}`, ip: p }) },
  { name: 'peer-service', resource: (p, i) => ({ kind: 'Peer', name: `h${i}`, ip: peerIp(i), service_access: [p] }) },
  { name: 'peer-route', resource: (p, i) => ({ kind: 'Peer', name: `h${i}`, ip: peerIp(i), route_via: p }) },
  { name: 'link-name', resource: (p) => ({ kind: 'CellLink', name: p, vpn_subnet: '10.77.0.0/24' }) },
  { name: 'link-subnet', resource: (p, i) => ({ kind: 'CellLink', name: `l${i}`, vpn_subnet: p }) },
  {
    name: 'link-domain',
    resource: (p, i) => ({
      kind: 'CellLink',
      name: `l${i}`,
      vpn_subnet: '10.77.0.0/24',
      domain: p,
      dns_ip: '10.77.0.1',
    }),
  },
  {
    name: 'link-dns',
    resource: (p, i) => ({ kind: 'CellLink', name: `l${i}`, vpn_subnet: '10.77.0.0/24', domain: 'x.cell', dns_ip: p }),
  },
  { name: 'link-wg', resource: (p, i) => ({ kind: 'CellLink', name: `l${i}`, vpn_subnet: '10.77.0.0/24', wg_ip: p }) },
  {
    name: 'link-inbound',
    resource: (p, i) => ({
      kind: 'CellLink',
      name: `l${i}`,
      vpn_subnet: '10.77.0.0/24',
      permissions: { inbound: { [p]: true } },
    }),
  },
  { name: 'cell-domain', resource: (p) => ({ kind: 'Cell', name: 'home', domain: p }) },
  { name: 'cell-service', resource: (p) => ({ kind: 'Cell', name: 'home', services: [p] }) },
  { name: 'cell-vip', resource: (p) => ({ kind: 'Cell', name: 'home', services: [{ name: 'calendar', vip: p }] }) },
  { name: 'cell-upstream', resource: (p) => ({ kind: 'Cell', name: 'home', upstream_dns: [p] }) },
  { name: 'cell-range', resource: (p) => ({ kind: 'Cell', name: 'home', ip_range: p }) },
  { name: 'cell-name', resource: (p) => ({ kind: 'Cell', name: p }) },
];

/** Writes one hostile file per (slot, payload); cell slots replace cell.json's content. */
async function writeHostile(dir: string): Promise<string[]> {
  const files: string[] = [];
  await mkdir(join(dir, 'hostile'), { recursive: true });
  let i = 0;
  for (const slot of SLOTS) {
    for (const payload of PAYLOADS) {
      i++;
      const file = `hostile/${slot.name}-${i}.json`;
      // Cells go in as an array item next to nothing else: a second Cell is its own error, so the
      // payload is checked on a lone Cell file only when it replaces cell.json (see the next test).
      if (slot.name.startsWith('cell-')) continue;
      await writeFile(join(dir, file), JSON.stringify(slot.resource(payload, i)));
      files.push(file);
    }
  }
  return files;
}

function allBytes(log: readonly RecordedExec[]): string {
  return log.map((r) => `${r.argv.join('\u0001')}\u0002${r.stdin}`).join('\u0003');
}

function expectClean(bytes: string): void {
  expect(bytes).not.toContain(MARKER);
  for (const payload of PAYLOADS) expect(bytes).not.toContain(payload);
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pict-inject-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('hostile strings are rejected at load', () => {
  it('every payload in every field fails its own file, on one line, and the good state is intact', async () => {
    const dir = join(root, 'load');
    await writeStateFiles(dir, EXAMPLE_STATE);
    const good = await loadState(dir);
    expect(good.issues).toEqual([]);
    const files = await writeHostile(dir);
    const loaded = await loadState(dir, { previous: good });
    expect(loaded.state).toEqual(good.state);
    for (const file of files) expect(loaded.unresolvedFiles).toContain(file);
    for (const issue of loaded.issues) expect(formatIssue(issue)).toMatch(ISSUE_LINE);
  });

  it('a hostile Cell file keeps the last good Cell, for every payload in every Cell field', async () => {
    const dir = join(root, 'cell');
    await writeStateFiles(dir, EXAMPLE_STATE);
    const good = await loadState(dir);
    for (const slot of SLOTS.filter((s) => s.name.startsWith('cell-'))) {
      for (const payload of PAYLOADS) {
        await writeFile(join(dir, 'cell.json'), JSON.stringify(slot.resource(payload, 0)));
        const loaded = await loadState(dir, { previous: good });
        expect(loaded.fallbackFiles, `${slot.name} ${JSON.stringify(payload.slice(0, 30))}`).toEqual(['cell.json']);
        expect(loaded.state).toEqual(good.state);
      }
    }
  });

  it('the controller config refuses hostile interface names, locators and listen addresses', () => {
    const hostile = [
      { interfaces: { wireguard: 'wg0 -j ACCEPT' } },
      { interfaces: { egress: '-o' } },
      { interfaces: { caddy: 'eth0\nlabel x' } },
      { interfaces: { caddy: 'a'.repeat(16) } },
      { targets: { wireguard: 'netns:x;reboot' } },
      { targets: { caddy: 'docker:../../containers' } },
      { targets: { api: 'ip:10.0.0.1 -j ACCEPT' } },
      { listen: '0.0.0.0:9470\n' },
      { listen: 'localhost:9470' },
    ];
    for (const config of hostile)
      expect(controllerConfigSchema.safeParse(config).success, JSON.stringify(config)).toBe(false);
  });
});

describe('no hostile byte reaches a target', () => {
  async function hostileState(name: string): Promise<{ dir: string; good: LoadedState; loaded: LoadedState }> {
    const dir = join(root, name);
    await writeStateFiles(dir, EXAMPLE_STATE);
    const good = await loadState(dir);
    await writeHostile(dir);
    // The hostile files are new, so nothing is remembered for them: the loop keeps live rules it cannot attribute.
    const loaded = await loadState(dir, { previous: good });
    return { dir, good, loaded };
  }

  it('a full reconcile against a recording fake cell sends none of it', async () => {
    const { dir, loaded } = await hostileState('fake');
    const log: RecordedExec[] = [];
    const corefilePath = join(dir, '..', 'fake-Corefile');
    const targets: CellTargets = {
      wireguard: recordingTarget(emptyCellTarget('fake:wireguard', 'wg0'), log),
      caddy: recordingTarget(emptyCellTarget('fake:caddy', 'eth0'), log),
      api: { locator: 'ip:172.20.0.3', address: () => Promise.resolve('172.20.0.3') },
      dns: { locator: 'none', reloadPending: false, reload: () => Promise.resolve() },
      corefilePath,
    };
    const result = await reconcileCell(loaded.state as DesiredState, targets, DEFAULT_LAYOUT, {
      adjust: preserveUnattributed,
    });
    expect(result.apply?.counts.restores).toBe(1);
    expect(log.some((r) => isRestoreCommand(r.argv) && r.stdin.includes('PIC-PEER-10-0-0-2'))).toBe(true);
    expectClean(allBytes(log));
    expectClean(await readFile(corefilePath, 'utf8'));
  });

  describe('against a real namespace cell', () => {
    const ready = requirePrerequisites(['root', 'iptables', 'ip']);
    let bed: TestbedFixture;
    beforeAll(async () => {
      if (!ready.ok) return;
      bed = await createTestbed(EXAMPLE_STATE);
    });
    afterAll(async () => {
      await bed?.dispose();
      await cleanupNamespaces();
    });

    it('converges the good resources, and nothing hostile is sent or ends up live', async () => {
      const { loaded } = await hostileState('real');
      const log: RecordedExec[] = [];
      const targets: CellTargets = {
        ...bed.targets,
        wireguard: recordingTarget(bed.targets.wireguard, log),
        caddy: recordingTarget(bed.targets.caddy, log),
      };
      const result = await reconcileCell(loaded.state as DesiredState, targets, bed.layout, {
        adjust: preserveUnattributed,
      });
      expect(result.errors).toEqual([]);
      expect(result.converged).toBe(true);
      expectClean(allBytes(log));
      const live = [
        await nsRunOk(bed.cell.wg, ['iptables-save']),
        await nsRunOk(bed.cell.wg, ['ip', 'rule']),
        await nsRunOk(bed.cell.wg, ['ip', 'route', 'show', 'table', 'all']),
        await nsRunOk(bed.cell.lan, ['ip', 'addr']),
        await readFile(bed.corefilePath, 'utf8'),
      ].join('\n');
      expectClean(live);
      expect(compareMatrix(EXAMPLE_STATE, await probeMatrix(EXAMPLE_STATE, bed.cell))).toEqual([]);
    });
  });
});
