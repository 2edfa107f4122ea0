import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { takeSnapshot } from '../../src/rollback/cell-snapshot.js';
import { restoreSnapshot } from '../../src/rollback/restore-snapshot.js';
import { cleanupNamespaces, nsRunOk } from '../../src/testbed/netns.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { createTestbed, loadValidState, type TestbedFixture } from '../helpers/testbed.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

/** The live cell as the operator would compare it: iptables-save without counters, rules, routes, VIPs, Corefile. */
async function liveState(bed: TestbedFixture): Promise<Record<string, string | null>> {
  const save = await nsRunOk(bed.cell.wg, ['iptables-save']);
  return {
    iptables: save
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
      .join('\n'),
    rules: await nsRunOk(bed.cell.wg, ['ip', '-4', '-j', 'rule']),
    routes: await nsRunOk(bed.cell.wg, ['ip', '-4', '-j', 'route', 'show', 'table', 'all']),
    addresses: await nsRunOk(bed.cell.lan, ['ip', '-4', '-j', 'addr', 'show', 'dev', 'eth0']),
    corefile: await readFile(bed.corefilePath, 'utf8').catch(() => null),
  };
}

describe('rollback to a snapshot on a namespace cell', () => {
  let state: DesiredState;
  let bed: TestbedFixture;

  beforeAll(async () => {
    if (!ready.ok) return;
    state = await loadValidState('state');
    bed = await createTestbed(state);
  });
  afterAll(async () => {
    await bed?.dispose();
    await cleanupNamespaces();
  });

  it('restores an empty cell byte for byte after the first apply (no Corefile before)', async () => {
    const before = await liveState(bed);
    const snapshot = await takeSnapshot(bed.targets, bed.layout, state.cell.peer_subnet);
    const applied = await reconcileCell(state, bed.targets, bed.layout);
    expect(applied.converged).toBe(true);
    expect(await liveState(bed)).not.toEqual(before);
    const restored = await restoreSnapshot(snapshot, bed.targets, bed.layout);
    expect(restored.errors).toEqual([]);
    expect(restored.restored).toBe(true);
    expect(await liveState(bed)).toEqual(before);
  });

  it('restores a converged cell after a change to one peer, and leaves a foreign rule added in the window', async () => {
    expect((await reconcileCell(state, bed.targets, bed.layout)).converged).toBe(true);
    // A foreign rule above our jump, as Docker would insert it, before the snapshot.
    await nsRunOk(bed.cell.wg, ['iptables', '-I', 'FORWARD', '1', '-s', '192.0.2.1/32', '-j', 'ACCEPT']);
    await writeFile(bed.corefilePath, '. {\n    whoami\n}\n');
    const before = await liveState(bed);
    const snapshot = await takeSnapshot(bed.targets, bed.layout, state.cell.peer_subnet);
    const changed: DesiredState = {
      ...state,
      peers: state.peers.map((p) =>
        p.name === 'bob'
          ? { ...p, internet_access: !p.internet_access, service_access: [] }
          : p.route_via !== null
            ? { ...p, route_via: null }
            : p,
      ),
    };
    expect((await reconcileCell(changed, bed.targets, bed.layout)).converged).toBe(true);
    const during = await liveState(bed);
    expect(during.iptables).not.toBe(before.iptables);
    expect(during.rules).not.toBe(before.rules);
    expect(during.corefile).not.toBe(before.corefile);
    // Someone else's rule during the window: not ours to roll back.
    await nsRunOk(bed.cell.wg, ['iptables', '-A', 'FORWARD', '-s', '192.0.2.2/32', '-j', 'DROP']);
    const restored = await restoreSnapshot(snapshot, bed.targets, bed.layout);
    expect(restored.errors).toEqual([]);
    const after = await liveState(bed);
    const expected = (before.iptables ?? '').split('\n');
    expected.splice(
      expected.findLastIndex((l) => l.startsWith('-A FORWARD ')) + 1,
      0,
      '-A FORWARD -s 192.0.2.2/32 -j DROP',
    );
    expect(after.iptables).toBe(expected.join('\n'));
    expect({ ...after, iptables: '' }).toEqual({ ...before, iptables: '' });
  });
});
