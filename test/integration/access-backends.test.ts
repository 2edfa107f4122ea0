import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Dataplane } from '../../src/access/access-types.js';
import { liveRouting } from '../../src/access/build-dataplane.js';
import { isRestoreCommand } from '../../src/apply/apply-plan.js';
import { CellReconciler } from '../../src/loop/cell-reconciler.js';
import { conditionOf } from '../../src/status/controller-status.js';
import { PassReporter } from '../../src/status/pass-reporter.js';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import { StateFileCache } from '../../src/loop/state-file-cache.js';
import type { Target } from '../../src/model/target.js';
import { parseIptablesSave } from '../../src/parse/parse-iptables-save.js';
import { nsRunOk } from '../../src/testbed/netns.js';
import { probeMatrix } from '../../src/testbed/probe-matrix.js';
import { matrixEndpoints } from '../../src/testbed/testbed-cell.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { runCli, runExplain } from '../helpers/run-cli.js';
import { modelReaches, useTestbed, writeConfigFile, type TestbedFixture } from '../helpers/testbed.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

/** The model over both backends' live tables and the live routes of the wireguard namespace. */
async function bothBackends(bed: TestbedFixture): Promise<Dataplane> {
  const [legacy, nft, ipRule, ipRoute] = await Promise.all([
    nsRunOk(bed.cell.wg, ['iptables-legacy-save']),
    nsRunOk(bed.cell.wg, ['iptables-nft-save']),
    nsRunOk(bed.cell.wg, ['ip', '-4', '-j', 'rule']),
    nsRunOk(bed.cell.wg, ['ip', '-4', '-j', 'route', 'show', 'table', 'all']),
  ]);
  const parse = (text: string) => {
    const parsed = parseIptablesSave(text);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  };
  const routing = liveRouting(ipRule, ipRoute);
  if (!routing.ok) throw new Error(routing.error);
  return {
    rulesets: [
      { name: 'legacy', iptables: parse(legacy) },
      { name: 'nft', iptables: parse(nft) },
    ],
    routing: routing.value,
    sourceOf: () => null,
  };
}

/**
 * A cell whose rules live in the legacy tables, on a kernel that enforces the nft ones too:
 * the controller writes only where the cell lives, and a rule in the other backend is seen by
 * the model, by verify (AccessDiverged) and by `access`, as real packets see it.
 */
describe('two iptables backends in one wireguard namespace', () => {
  const t = useTestbed(ready);

  it('writes a cell found in the legacy tables there only, and plans no nft copy', async () => {
    // A wireguard image whose iptables is legacy: wg-quick's and Docker's rules are in the legacy tables.
    await nsRunOk(t.bed.cell.wg, ['iptables-nft', '-D', 'FORWARD', '-i', 'wg0', '-j', 'ACCEPT']);
    await nsRunOk(t.bed.cell.wg, ['iptables-nft', '-t', 'nat', '-D', 'POSTROUTING', '-o', 'eth+', '-j', 'MASQUERADE']);
    await nsRunOk(t.bed.cell.wg, ['iptables-legacy', '-A', 'FORWARD', '-i', 'wg0', '-j', 'ACCEPT']);
    await nsRunOk(t.bed.cell.wg, [
      'iptables-legacy',
      '-t',
      'nat',
      '-A',
      'POSTROUTING',
      '-o',
      'eth+',
      '-j',
      'MASQUERADE',
    ]);
    const seen: string[][] = [];
    const inner = t.bed.targets.wireguard;
    const wireguard: Target = {
      locator: inner.locator,
      exec: (argv, options) => (seen.push([...argv]), inner.exec(argv, options)),
    };
    expect((await reconcileCell(t.state, { ...t.bed.targets, wireguard }, t.bed.layout)).converged).toBe(true);
    const restores = seen.filter((argv) => isRestoreCommand(argv));
    expect(restores).toHaveLength(1);
    expect(restores[0]?.join(' ')).toContain('iptables-legacy-restore --noflush');
    expect(await nsRunOk(t.bed.cell.wg, ['iptables-legacy-save'])).toContain('pic:jump');
    expect(await nsRunOk(t.bed.cell.wg, ['iptables-nft-save'])).not.toContain('PIC-');

    // More rules in nft now, but the legacy tables hold our jump: the next pass has nothing to do.
    for (const port of ['1', '2', '3'])
      await nsRunOk(t.bed.cell.wg, ['iptables-nft', '-A', 'INPUT', '-p', 'tcp', '--dport', port, '-j', 'ACCEPT']);
    const again = await reconcileCell(t.state, t.bed.targets, t.bed.layout);
    expect(again.plan.actions).toEqual([]);
    expect(again.converged).toBe(true);
    expect(await nsRunOk(t.bed.cell.wg, ['iptables-nft-save'])).not.toContain('PIC-');
    for (const port of ['1', '2', '3'])
      await nsRunOk(t.bed.cell.wg, ['iptables-nft', '-D', 'INPUT', '-p', 'tcp', '--dport', port, '-j', 'ACCEPT']);
  });

  it('reports a foreign DROP in the nft backend as AccessDiverged, in the gauge and in the matrix', async () => {
    await nsRunOk(t.bed.cell.wg, ['iptables-nft', '-I', 'FORWARD', '1', '-d', '172.20.0.21/32', '-j', 'DROP']);
    const reconciler = new CellReconciler({
      config: t.bed.config,
      targets: t.bed.targets,
      files: new StateFileCache('state'),
      store: { read: async () => null, write: async () => null, readError: null },
      allowMassDelete: false,
      clock: { date: () => new Date(), monotonicMs: () => performance.now() },
    });
    const reporter = new PassReporter(pino({ level: 'silent' }), { date: () => new Date() });
    const report = await reconciler.reconcile({ id: 'r1', triggers: ['startup'] });
    expect(report.result).toBe('converged');
    expect(report.applied).toEqual([]);
    const diverged = report.access?.check.diverged ?? [];
    const calendar = diverged.filter((d) => d.to === 'calendar');
    // Everyone the state lets use calendar loses it to the other backend's DROP.
    expect(calendar.map((d) => d.from).sort()).toEqual(['alice', 'bob', 'cell:lyon', 'cell:paris', 'erin-laptop']);
    expect(calendar[0]).toMatchObject({
      live: false,
      desired: true,
      decidedBy: { ruleset: 'nft', chain: 'FORWARD', index: 1, owner: 'foreign', rule: '-d 172.20.0.21/32 -j DROP' },
    });
    reporter.record(report);
    const status = reporter.status();
    expect(conditionOf(status, 'AccessDiverged')).toMatchObject({ status: 'True', reason: 'ForeignRuleDecides' });
    expect(conditionOf(status, 'AccessDiverged')?.message).toContain(
      'decided by filter FORWARD rule 1 (foreign, nft): -d 172.20.0.21/32 -j DROP',
    );
    expect(conditionOf(status, 'Ready')?.status).toBe('True');
    expect(status.access?.backend).toMatchObject({
      writes: 'legacy',
      other: 'nft',
      otherRules: ['filter -A FORWARD -d 172.20.0.21/32 -j DROP'],
    });
    expect(await reporter.metrics.registry.getSingleMetricAsString('pic_access_diverged_pairs')).toContain(
      `pic_access_diverged_pairs ${diverged.length}`,
    );

    const config = await writeConfigFile(t.bed);
    const cli = await runCli(['access', '--state', 'state', '--config', config, '--json']);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const matrix = JSON.parse(cli.stdout) as {
      rulesets: string[];
      cells: {
        from: string;
        to: string;
        reaches: boolean;
        desired: boolean;
        differs: boolean;
        decided_by: { ruleset: string } | null;
      }[];
      other_backend: { name: string; rules: string[] };
    };
    expect(matrix.rulesets).toEqual(['legacy', 'nft']);
    expect(matrix.cells.find((c) => c.from === 'bob' && c.to === 'calendar')).toMatchObject({
      reaches: false,
      desired: true,
      differs: true,
      decided_by: { ruleset: 'nft' },
    });
    expect(matrix.cells.find((c) => c.from === 'bob' && c.to === 'mail')).toMatchObject({
      reaches: true,
      desired: true,
      differs: false,
    });
    expect(matrix.other_backend).toEqual({ name: 'nft', rules: ['filter -A FORWARD -d 172.20.0.21/32 -j DROP'] });
    // explain reads both backends too: the DROP in the one the cell does not live in decides.
    const explain = await runExplain(['--config', config], 'bob', 'calendar', '--json');
    expect(explain.code).toBe(0);
    expect(JSON.parse(explain.stdout)).toMatchObject({
      verdict: 'drop',
      reaches: false,
      decided_by: { chain: 'FORWARD', index: 1, owner: 'foreign', rule: '-d 172.20.0.21/32 -j DROP' },
    });
    // …and our chains in the legacy tables: bob may not use files (nft alone would accept it by policy).
    const files = await runExplain(['--config', config], 'bob', 'files', '--json');
    expect(JSON.parse(files.stdout)).toMatchObject({
      verdict: 'drop',
      reaches: false,
      decided_by: { chain: 'PIC-PEER-10-0-0-3', owner: 'pic' },
    });
    const text = await runCli(['access', '--state', 'state', '--config', config]);
    expect(text.stdout).toContain(
      'bob → calendar: live no, desired yes, decided by nft filter FORWARD rule 1 (foreign): -d 172.20.0.21/32 -j DROP',
    );
  });

  it("the model's reaches over both backends equals real TCP for every probed pair", async () => {
    const dataplane = await bothBackends(t.bed);
    const probed = await probeMatrix(t.state, t.bed.cell);
    const wrong: string[] = [];
    for (const row of probed) {
      const source = t.bed.cell.sources.find((s) => (s.kind === 'link' ? `cell:${s.name}` : s.name) === row.source);
      if (source === undefined) throw new Error(`no source ${row.source}`);
      for (const target of matrixEndpoints(t.state, t.bed.cell)) {
        const { label, endpoint } = target;
        if (endpoint.ip === source.ip || !(label in row.cells)) continue;
        const reaches = modelReaches(dataplane, t.bed, source.ip, target);
        const tcp = row.cells[label] ?? null;
        if (reaches !== (tcp !== null))
          wrong.push(`${row.source} → ${label}: model ${String(reaches)}, TCP ${tcp ?? 'no answer'}`);
      }
    }
    expect(probed.flatMap((r) => Object.keys(r.cells)).length).toBeGreaterThan(40);
    expect(wrong).toEqual([]);
    expect(probed.find((r) => r.source === 'bob')?.cells['calendar']).toBeNull();
  });
});
