import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import { nsRunOk } from '../../src/testbed/netns.js';
import { compareMatrix, probeMatrix } from '../../src/testbed/probe-matrix.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { useTestbed } from '../helpers/testbed.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

describe('apply on a namespace cell (real iptables, routes, packets)', () => {
  const t = useTestbed(ready);
  const reconcile = () => reconcileCell(t.state, t.bed.targets, t.bed.layout);
  const save = () => nsRunOk(t.bed.cell.wg, ['iptables-save']);

  it('converges the example cell and the reachability matrix matches the state', async () => {
    const before = t.bed.targets.wireguard.records.length + t.bed.targets.caddy.records.length;
    const result = await reconcile();
    expect(result.errors).toEqual([]);
    expect(result.converged).toBe(true);
    expect(result.apply?.counts).toEqual({ restores: 1, ipBatches: 2, fileWrites: 1, signals: 1 });
    // Observe (3), then each write reads its part back in the same process (3): verify runs none of its own.
    expect(t.bed.targets.wireguard.records.length + t.bed.targets.caddy.records.length - before).toBe(6);
    const rows = await probeMatrix(t.state, t.bed.cell);
    expect(compareMatrix(t.state, rows)).toEqual([]);
    // The matrix is not trivially open or closed.
    const values = rows.flatMap((r) => Object.values(r.cells));
    expect(values.filter((v) => v === null).length).toBeGreaterThan(10);
    expect(values.filter((v) => v !== null).length).toBeGreaterThan(10);
    expect(rows.find((r) => r.source === 'carol')?.cells['internet']).toBe('exit:paris');
  });

  it('is idempotent: a second pass plans nothing and writes nothing', async () => {
    const before = t.bed.targets.wireguard.records.length + t.bed.targets.caddy.records.length;
    const corefileBefore = await readFile(t.bed.corefilePath, 'utf8');
    const result = await reconcile();
    expect(result.plan.actions).toEqual([]);
    expect(result.apply).toBeNull();
    expect(result.converged).toBe(true);
    // Observe only: iptables-save and one ip batch in wireguard, one ip addr in caddy.
    expect(t.bed.targets.wireguard.records.length + t.bed.targets.caddy.records.length - before).toBe(3);
    expect(await readFile(t.bed.corefilePath, 'utf8')).toBe(corefileBefore);
  });

  const drifts: readonly { name: string; breakIt: () => Promise<unknown>; kinds: readonly string[] }[] = [
    {
      name: 'a deleted rule',
      breakIt: () => nsRunOk(t.bed.cell.wg, ['iptables', '-D', 'PIC-PEER-10-0-0-3', '1']),
      kinds: ['update-chain'],
    },
    {
      name: 'a modified rule',
      breakIt: () =>
        nsRunOk(t.bed.cell.wg, [
          'iptables',
          '-R',
          'PIC-PEER-10-0-0-3',
          '2',
          '-d',
          '172.20.0.22/32',
          '-m',
          'comment',
          '--comment',
          'pic-peer-10-0-0-3/32',
          '-j',
          'ACCEPT',
        ]),
      kinds: ['update-chain'],
    },
    {
      name: 'a rule added inside an owned chain',
      breakIt: () => nsRunOk(t.bed.cell.wg, ['iptables', '-I', 'PIC-PEER-10-0-0-10', '1', '-j', 'ACCEPT']),
      kinds: ['update-chain'],
    },
    {
      name: 'a flushed FORWARD',
      breakIt: () => nsRunOk(t.bed.cell.wg, ['iptables', '-F', 'FORWARD']),
      kinds: ['insert-jump'],
    },
    {
      name: 'a rule inserted above our jump',
      breakIt: () => nsRunOk(t.bed.cell.wg, ['iptables', '-I', 'FORWARD', '1', '-s', '10.0.0.3', '-j', 'ACCEPT']),
      kinds: ['delete-rule', 'insert-jump'],
    },
    {
      name: 'a removed VIP',
      breakIt: () => nsRunOk(t.bed.cell.lan, ['ip', 'addr', 'del', '172.20.0.22/16', 'dev', 'eth0']),
      kinds: ['add-address'],
    },
    {
      name: 'a deleted policy rule',
      breakIt: () => nsRunOk(t.bed.cell.wg, ['ip', 'rule', 'del', 'priority', '10000', 'from', '10.0.0.4']),
      kinds: ['add-policy-rule'],
    },
    {
      name: 'a hand-edited Corefile',
      breakIt: () => writeFile(t.bed.corefilePath, '. {\n    whoami\n}\n'),
      kinds: ['write-corefile'],
    },
    {
      name: 'a deleted exit route',
      breakIt: () => nsRunOk(t.bed.cell.wg, ['ip', 'route', 'flush', 'proto', '252', 'table', 'all']),
      kinds: ['add-route'],
    },
  ];

  for (const drift of drifts) {
    it(`repairs ${drift.name}`, async () => {
      await drift.breakIt();
      const result = await reconcile();
      expect(result.converged).toBe(true);
      expect([...new Set(result.plan.actions.map((a) => a.kind))].sort()).toEqual([...drift.kinds].sort());
      expect((await reconcile()).plan.actions).toEqual([]);
    });
  }

  it('repairs everything wiped, as after a container restart, and keeps foreign rules', async () => {
    await nsRunOk(t.bed.cell.wg, [
      'sh',
      '-c',
      'iptables -F FORWARD; iptables -t nat -F PREROUTING; iptables -t nat -F POSTROUTING; for c in $(iptables-save | sed -n "s/^:\\(PIC-[^ ]*\\).*/\\1/p"); do iptables -F $c; done; for c in $(iptables-save -t filter | sed -n "s/^:\\(PIC-[^ ]*\\).*/\\1/p"); do iptables -X $c; done; iptables -t nat -X PIC-PREROUTING; iptables -t nat -X PIC-POSTROUTING; ip rule flush; ip rule add priority 32766 lookup main; ip rule add priority 32767 lookup default; iptables -A FORWARD -i wg0 -j ACCEPT; iptables -t nat -A POSTROUTING -o eth+ -j MASQUERADE',
    ]);
    await nsRunOk(t.bed.cell.lan, ['sh', '-c', 'for a in 21 22 23 24; do ip addr del 172.20.0.$a/16 dev eth0; done']);
    const result = await reconcile();
    expect(result.converged).toBe(true);
    expect(compareMatrix(t.state, await probeMatrix(t.state, t.bed.cell))).toEqual([]);
    const dump = await save();
    expect(dump).toContain('-A FORWARD -i wg0 -j ACCEPT');
    expect(dump).toContain('-A POSTROUTING -o eth+ -j MASQUERADE');
    expect(dump.split('\n').findIndex((l) => l.startsWith('-A FORWARD'))).toBe(
      dump.split('\n').indexOf('-A FORWARD -m comment --comment "pic:jump" -j PIC-FORWARD'),
    );
  });
});
