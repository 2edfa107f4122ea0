import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { formatPlanText } from '../../src/plan/format-plan.js';
import { parseIptablesSave } from '../../src/parse/parse-iptables-save.js';
import { createNamespace, nsRunOk } from '../../src/testbed/netns.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { useTestbed } from '../helpers/testbed.js';

/**
 * What other writers leave in the wireguard namespace never stops us managing our own part
 * (issue 12 items 3-5, issue 15 item 2), on real iptables and iproute2: a foreign rule printed
 * over two lines, a multipath route in a table we observe, a route the kernel refuses, a VIP
 * the api already holds, and a Corefile write that fails.
 */

const ready = requirePrerequisites(['root', 'iptables', 'ip']);
const BOB_CHAIN = 'PIC-PEER-10-0-0-3';

describe('foreign entries and refused changes on a namespace cell', () => {
  const t = useTestbed(ready, 'state', {
    setup: async ({ state, bed }) => {
      const first = await reconcileCell(state, bed.targets, bed.layout);
      expect(first.errors).toEqual([]);
    },
  });

  const without = (name: string): DesiredState => ({ ...t.state, peers: t.state.peers.filter((p) => p.name !== name) });
  const wg = (argv: readonly string[]): Promise<string> => nsRunOk(t.bed.cell.wg, argv);

  it('a foreign rule whose comment holds a newline (mangle OUTPUT, filter FORWARD) blocks nothing: revoking a peer converges, the rule stays', async () => {
    await wg(['iptables', '-t', 'mangle', '-A', 'OUTPUT', '-m', 'comment', '--comment', 'note\nline2', '-j', 'RETURN']);
    // A comment that looks like the end of the table and a rule of ours must stay one foreign rule.
    await wg([
      'iptables',
      '-A',
      'FORWARD',
      '-m',
      'comment',
      '--comment',
      'x "q"\nCOMMIT\n-A PIC-FORWARD -j ACCEPT',
      '-j',
      'ACCEPT',
    ]);
    const save = await wg(['iptables-save']);
    expect(save).toContain('--comment "note\nline2" -j RETURN');

    const revoked = await reconcileCell(without('bob'), t.bed.targets, t.bed.layout);
    expect(revoked.errors).toEqual([]);
    expect(revoked.converged).toBe(true);
    const after = await wg(['iptables-save']);
    expect(after).not.toContain(BOB_CHAIN);
    expect(after).toContain('--comment "note\nline2" -j RETURN');
    expect(after).toContain('--comment "x \\"q\\"\nCOMMIT\n-A PIC-FORWARD -j ACCEPT" -j ACCEPT');

    const back = await reconcileCell(t.state, t.bed.targets, t.bed.layout);
    expect(back.errors).toEqual([]);
    expect(await wg(['iptables-save'])).toContain(`:${BOB_CHAIN} -`);
  });

  it('reads what iptables-nft-save and iptables-save (legacy) really print for a newline in a comment, in its own namespace each', async () => {
    for (const backend of ['nft', 'legacy']) {
      const ns = await createNamespace();
      await nsRunOk(ns, [
        `iptables-${backend}`,
        '-t',
        'mangle',
        '-A',
        'OUTPUT',
        '-m',
        'comment',
        '--comment',
        'note\nline2',
        '-j',
        'RETURN',
      ]);
      await nsRunOk(ns, [
        `iptables-${backend}`,
        '-A',
        'FORWARD',
        '-i',
        '"',
        '-m',
        'comment',
        '--comment',
        `a "q" 's' \\ b\nc`,
        '-j',
        'LOG',
        '--log-prefix',
        'pre "x" y: ',
      ]);
      const parsed = parseIptablesSave(await nsRunOk(ns, [`iptables-${backend}-save`]));
      if (!parsed.ok) throw new Error(`${backend}: ${parsed.error}`);
      expect(parsed.warnings).toEqual([]);
      expect(parsed.value.filter.chains.get('FORWARD')?.rules).toEqual([
        `-i " -m comment --comment "a \\"q\\" \\'s\\' \\\\ b\nc" -j LOG --log-prefix "pre \\"x\\" y: "`,
      ]);
    }
  });

  it('a multipath route of protocol 252 is shown as opaque, never rewritten or deleted; the rest converges', async () => {
    await wg([
      'ip',
      'route',
      'add',
      '192.168.8.0/24',
      'table',
      '1236',
      'proto',
      '252',
      'nexthop',
      'via',
      '10.0.1.1',
      'dev',
      'wg0',
      'onlink',
      'nexthop',
      'via',
      '10.0.2.1',
      'dev',
      'wg0',
      'onlink',
    ]);
    const before = await wg(['ip', '-j', 'route', 'show', 'table', '1236']);
    const result = await reconcileCell(without('bob'), t.bed.targets, t.bed.layout);
    expect(result.errors).toEqual([]);
    expect(result.plan.warnings).toEqual([
      'route 192.168.8.0/24 table 1236 (protocol 252): a multipath route (2 next hops), which the plan cannot write exactly, so it is left as it is',
    ]);
    expect(result.plan.actions.filter((a) => a.kind.endsWith('-route'))).toEqual([]);
    expect(formatPlanText(result.plan)).not.toMatch(/via {2}dev/);
    expect(await wg(['ip', '-j', 'route', 'show', 'table', '1236'])).toBe(before);
    expect(await wg(['iptables-save'])).not.toContain(BOB_CHAIN);
    await wg(['ip', 'route', 'del', '192.168.8.0/24', 'table', '1236']);
    expect((await reconcileCell(t.state, t.bed.targets, t.bed.layout)).errors).toEqual([]);
  });

  it("a route the kernel refuses blocks no other routing change: carol's route_via removal goes in, the failure names the route, the residual keeps only it", async () => {
    // 224.0.0.1 passes no load check any more, so the state is built here: the kernel refuses it ("invalid gateway").
    const refused: DesiredState = {
      ...t.state,
      links: t.state.links.map((l) => (l.name === 'lyon' ? { ...l, wg_ip: '224.0.0.1' } : l)),
      peers: t.state.peers.map((p) =>
        p.name === 'carol' ? { ...p, route_via: null } : p.name === 'alice' ? { ...p, route_via: 'lyon' } : p,
      ),
    };
    expect(await wg(['ip', 'rule', 'show'])).toMatch(/from 10\.0\.0\.4 lookup/);
    const result = await reconcileCell(refused, t.bed.targets, t.bed.layout);
    expect(result.converged).toBe(false);
    expect(result.apply?.failures).toEqual([
      {
        part: 'routing',
        error: expect.stringMatching(
          new RegExp(
            `^netns:${t.bed.cell.wg}: ip -batch refused line 1 \\(route default via 224\\.0\\.0\\.1 table \\d+\\): .*invalid gateway.* \\(input: route replace default via 224\\.0\\.0\\.1 dev wg0 table \\d+ proto 252 onlink\\)$`,
          ),
        ),
      },
    ]);
    const rules = await wg(['ip', 'rule', 'show']);
    expect(rules).not.toMatch(/from 10\.0\.0\.4 /);
    expect(rules).toMatch(/from 10\.0\.0\.2 lookup/);
    expect(result.residual?.actions.map((a) => a.kind)).toEqual(['add-route']);
    expect(result.apply?.applied.some((a) => a.kind === 'add-route')).toBe(false);
    expect(result.apply?.applied.filter((a) => a.kind === 'delete-policy-rule')).toHaveLength(2);

    expect((await reconcileCell(t.state, t.bed.targets, t.bed.layout)).errors).toEqual([]);
    expect(await wg(['ip', 'rule', 'show'])).toMatch(/from 10\.0\.0\.4 lookup/);
  });

  it('refuses a VIP the api holds, naming the service, and keeps the others', async () => {
    const services = t.state.cell.services.map((s) => (s.name === 'calendar' ? { ...s, vip: t.bed.cell.apiIp } : s));
    const clashing: DesiredState = { ...t.state, cell: { ...t.state.cell, services } };
    const result = await reconcileCell(clashing, t.bed.targets, t.bed.layout);
    expect(result.errors).toContain(
      `service "calendar": VIP ${t.bed.cell.apiIp} is the api container's address; VIP not changed`,
    );
    const addresses = await nsRunOk(t.bed.cell.lan, ['ip', '-o', 'addr', 'show', 'dev', 'eth0']);
    // (In the testbed the api's address lives in the caddy namespace too: only a VIP of ours would carry the label.)
    expect(addresses.split('\n').filter((l) => l.includes(`${t.bed.cell.apiIp}/`) && l.includes('eth0:pic'))).toEqual(
      [],
    );
    expect(addresses).toMatch(/eth0:pic/);
    expect(result.plan.actions.some((a) => a.kind === 'add-address' && a.address.address === t.bed.cell.apiIp)).toBe(
      false,
    );
    expect((await reconcileCell(t.state, t.bed.targets, t.bed.layout)).errors).toEqual([]);
  });

  it('counts only the writes that happened: a Corefile write that fails is not applied, the iptables change is', async () => {
    const broken = { ...t.bed.targets, corefilePath: join(t.bed.workDir, 'missing', 'Corefile') };
    const result = await reconcileCell(without('bob'), broken, t.bed.layout);
    expect(result.plan.actions.some((a) => a.kind === 'write-corefile')).toBe(true);
    expect(result.apply?.failures.map((f) => f.part)).toEqual(['corefile']);
    expect(result.apply?.applied.some((a) => a.kind === 'write-corefile')).toBe(false);
    expect(result.apply?.applied.some((a) => a.kind === 'delete-chain')).toBe(true);
    expect(result.apply?.counts).toMatchObject({ fileWrites: 0, restores: 1 });
    expect((await reconcileCell(t.state, t.bed.targets, t.bed.layout)).errors).toEqual([]);
  });
});
