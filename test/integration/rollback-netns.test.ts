import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { takeSnapshot } from '../../src/rollback/cell-snapshot.js';
import { restoreSnapshot } from '../../src/rollback/restore-snapshot.js';
import { nsRunOk } from '../../src/testbed/netns.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { liveCell, useTestbed } from '../helpers/testbed.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

describe('rollback to a snapshot on a namespace cell', () => {
  const t = useTestbed(ready);

  it('restores an empty cell byte for byte after the first apply (no Corefile before)', async () => {
    const before = await liveCell(t.bed);
    const snapshot = await takeSnapshot(t.bed.targets, t.bed.layout, t.state.cell.peer_subnet);
    const applied = await reconcileCell(t.state, t.bed.targets, t.bed.layout);
    expect(applied.converged).toBe(true);
    expect(await liveCell(t.bed)).not.toEqual(before);
    const restored = await restoreSnapshot(snapshot, t.bed.targets, t.bed.layout);
    expect(restored.errors).toEqual([]);
    expect(restored.restored).toBe(true);
    expect(await liveCell(t.bed)).toEqual(before);
  });

  it('restores a converged cell after a change to one peer, and leaves a foreign rule added in the window', async () => {
    expect((await reconcileCell(t.state, t.bed.targets, t.bed.layout)).converged).toBe(true);
    // A foreign rule above our jump, as Docker would insert it, before the snapshot.
    await nsRunOk(t.bed.cell.wg, ['iptables', '-I', 'FORWARD', '1', '-s', '192.0.2.1/32', '-j', 'ACCEPT']);
    await writeFile(t.bed.corefilePath, '. {\n    whoami\n}\n');
    const before = await liveCell(t.bed);
    const snapshot = await takeSnapshot(t.bed.targets, t.bed.layout, t.state.cell.peer_subnet);
    const changed: DesiredState = {
      ...t.state,
      peers: t.state.peers.map((p) =>
        p.name === 'bob'
          ? { ...p, internet_access: !p.internet_access, service_access: [] }
          : p.route_via !== null
            ? { ...p, route_via: null }
            : p,
      ),
    };
    expect((await reconcileCell(changed, t.bed.targets, t.bed.layout)).converged).toBe(true);
    const during = await liveCell(t.bed);
    expect(during.iptables).not.toBe(before.iptables);
    expect(during.rules).not.toBe(before.rules);
    expect(during.corefile).not.toBe(before.corefile);
    // Someone else's rule during the window: not ours to roll back.
    await nsRunOk(t.bed.cell.wg, ['iptables', '-A', 'FORWARD', '-s', '192.0.2.2/32', '-j', 'DROP']);
    const restored = await restoreSnapshot(snapshot, t.bed.targets, t.bed.layout);
    expect(restored.errors).toEqual([]);
    const after = await liveCell(t.bed);
    const expected = (before.iptables ?? '').split('\n');
    expected.splice(
      expected.findLastIndex((l) => l.startsWith('-A FORWARD ')) + 1,
      0,
      '-A FORWARD -s 192.0.2.2/32 -j DROP',
    );
    expect(after.iptables).toBe(expected.join('\n'));
    expect({ ...after, iptables: '' }).toEqual({ ...before, iptables: '' });
  });

  it('a route someone else put in our slot during the window stays, and the rollback names the collision', async () => {
    expect((await reconcileCell(t.state, t.bed.targets, t.bed.layout)).converged).toBe(true);
    const snapshot = await takeSnapshot(t.bed.targets, t.bed.layout, t.state.cell.peer_subnet);
    const ours = (
      JSON.parse(await nsRunOk(t.bed.cell.wg, ['ip', '-4', '-j', 'route', 'show', 'table', 'all'])) as {
        dst: string;
        table?: string;
        protocol?: string;
        gateway?: string;
      }[]
    ).find((r) => r.protocol === '252' || r.protocol === 'pic');
    if (ours === undefined || ours.table === undefined) throw new Error('the example state routes nothing of ours');
    const noRoutes: DesiredState = { ...t.state, peers: t.state.peers.map((p) => ({ ...p, route_via: null })) };
    expect((await reconcileCell(noRoutes, t.bed.targets, t.bed.layout)).converged).toBe(true);
    // Someone else's route in the table we emptied, same destination: theirs (protocol static).
    await nsRunOk(t.bed.cell.wg, [
      'ip',
      'route',
      'add',
      ours.dst,
      'dev',
      'eth0',
      'table',
      ours.table,
      'proto',
      'static',
    ]);
    const restored = await restoreSnapshot(snapshot, t.bed.targets, t.bed.layout);
    expect(restored.errors).toEqual([]);
    expect(restored.collisions).toEqual([
      expect.stringContaining(`route ${ours.dst} table ${ours.table}: someone else's route`),
    ]);
    const after = await nsRunOk(t.bed.cell.wg, ['ip', '-4', 'route', 'show', 'table', ours.table]);
    expect(after).toMatch(new RegExp(`${ours.dst.replace('.', '\\.')}.* dev eth0 proto static`));
    await nsRunOk(t.bed.cell.wg, ['ip', 'route', 'del', ours.dst, 'table', ours.table, 'proto', 'static']);
  });
});

describe('rollback of a cell in the legacy iptables tables', () => {
  const l = useTestbed(ready);

  it('restores a cell that lives in the legacy tables there, byte for byte in both backends', async () => {
    const wg = l.bed.cell.wg;
    const save = async () =>
      [await nsRunOk(wg, ['iptables-legacy-save']), await nsRunOk(wg, ['iptables-nft-save'])].map((text) =>
        text
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
          .join('\n'),
      );
    // A wireguard image whose iptables is legacy: wg-quick's rules are in the legacy tables (Felix's choice follows them).
    await nsRunOk(wg, ['iptables-nft', '-D', 'FORWARD', '-i', 'wg0', '-j', 'ACCEPT']);
    await nsRunOk(wg, ['iptables-nft', '-t', 'nat', '-D', 'POSTROUTING', '-o', 'eth+', '-j', 'MASQUERADE']);
    await nsRunOk(wg, ['iptables-legacy', '-A', 'FORWARD', '-i', 'wg0', '-j', 'ACCEPT']);
    await nsRunOk(wg, ['iptables-legacy', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth+', '-j', 'MASQUERADE']);
    expect((await reconcileCell(l.state, l.bed.targets, l.bed.layout)).converged).toBe(true);
    const before = await save();
    expect(before[0]).toContain('PIC-FORWARD');
    const snapshot = await takeSnapshot(l.bed.targets, l.bed.layout, l.state.cell.peer_subnet);
    const changed: DesiredState = { ...l.state, peers: l.state.peers.filter((p) => p.name !== 'bob') };
    expect((await reconcileCell(changed, l.bed.targets, l.bed.layout)).converged).toBe(true);
    expect(await save()).not.toEqual(before);
    const restored = await restoreSnapshot(snapshot, l.bed.targets, l.bed.layout);
    expect(restored.errors).toEqual([]);
    expect(restored.restored).toBe(true);
    expect(await save()).toEqual(before);
  });
});
