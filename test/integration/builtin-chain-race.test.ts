/**
 * Docker and wg-quick write the built-in chains too. Our misplaced jump is deleted by its
 * rule specification and re-inserted at position 1, never edited by rule number: a rule
 * another writer inserts between our observation and our apply survives, and so do the
 * foreign rules that sat above our jump.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRestoreInput } from '../../src/apply/restore-input.js';
import { isRestoreCommand } from '../../src/apply/apply-plan.js';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import type { CellTargets } from '../../src/model/cell-targets.js';
import { BUILTIN_CHAINS, type TableName } from '../../src/model/iptables.js';
import type { IptablesAction } from '../../src/model/plan.js';
import type { ExecOptions } from '../../src/model/target.js';
import { cleanupNamespaces, nsRunOk } from '../../src/testbed/netns.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { createTestbed, loadValidState, type TestbedFixture } from '../helpers/testbed.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

describe('built-in chains are never edited by rule number', () => {
  let bed: TestbedFixture;

  beforeAll(async () => {
    if (!ready.ok) return;
    bed = await createTestbed(await loadValidState('state'));
  });
  afterAll(async () => {
    await bed?.dispose();
    await cleanupNamespaces();
  });

  const forward = async (): Promise<string[]> =>
    (await nsRunOk(bed.cell.wg, ['iptables', '-S', 'FORWARD'])).split('\n').filter((l) => l.startsWith('-A FORWARD'));

  it('a Docker-like writer above our jump, and a second writer between plan and apply: their rules survive, our jump ends first', async () => {
    const state = await loadValidState('state');
    expect((await reconcileCell(state, bed.targets, bed.layout)).converged).toBe(true);
    // What Docker does when it starts: its own chain first in FORWARD, a bridge rule after it.
    await nsRunOk(bed.cell.wg, ['iptables', '-N', 'DOCKER-USER']);
    await nsRunOk(bed.cell.wg, ['iptables', '-I', 'FORWARD', '1', '-j', 'DOCKER-USER']);
    await nsRunOk(bed.cell.wg, ['iptables', '-I', 'FORWARD', '2', '-o', 'br-pict', '-j', 'ACCEPT']);
    const foreignBefore = (await forward()).filter((r) => !r.includes('pic:jump'));

    // The second writer strikes after we observed and planned, just before our restore runs.
    const wg = bed.targets.wireguard;
    let interposed = 0;
    const targets: CellTargets = {
      ...bed.targets,
      wireguard: {
        locator: wg.locator,
        async exec(argv: readonly string[], options?: ExecOptions) {
          const restore = isRestoreCommand(argv) || argv.join(' ').includes('iptables-restore');
          if (restore && interposed++ === 0)
            await nsRunOk(bed.cell.wg, ['iptables', '-I', 'FORWARD', '1', '-s', '203.0.113.9/32', '-j', 'DROP']);
          return wg.exec(argv, options);
        },
      },
    };
    const result = await reconcileCell(state, targets, bed.layout);
    expect(interposed).toBeGreaterThan(0);
    const jumps = result.plan.actions.filter((a): a is IptablesAction => 'table' in a && a.chain === 'FORWARD');
    expect(jumps.map((a) => a.kind)).toEqual(['delete-rule', 'insert-jump']);

    const after = await forward();
    expect(after[0]).toMatch(/pic:jump.*-j PIC-FORWARD/);
    expect(after.filter((r) => r.includes('pic:jump'))).toHaveLength(1);
    expect(after).toEqual(expect.arrayContaining([...foreignBefore, '-A FORWARD -s 203.0.113.9/32 -j DROP']));
    expect(after).toHaveLength(foreignBefore.length + 2);
  });

  it('the restore input deletes from built-in chains only by rule specification, and refuses a delete by number there', () => {
    const builtins = (Object.entries(BUILTIN_CHAINS) as [TableName, readonly string[]][]).flatMap(([table, chains]) =>
      chains.map((chain) => ({ table, chain })),
    );
    for (const { table, chain } of builtins) {
      const update: IptablesAction = {
        kind: 'update-chain',
        table,
        chain,
        edits: [{ op: 'delete', index: 3, rule: '-j ACCEPT' }],
        reason: 'test',
      };
      expect(() => compileRestoreInput([update])).toThrow(
        `${table}/${chain}: refusing to delete from a built-in chain by rule number`,
      );
      // An insert at a number removes nothing of anyone's (a rollback puts ours back among theirs).
      const insert: IptablesAction = {
        kind: 'update-chain',
        table,
        chain,
        edits: [{ op: 'insert', index: 3, rule: '-j ACCEPT' }],
        reason: 'test',
      };
      expect(compileRestoreInput([insert])).toContain(`-I ${chain} 3 -j ACCEPT`);
    }
    const moved = compileRestoreInput([
      {
        kind: 'delete-rule',
        table: 'filter',
        chain: 'FORWARD',
        rule: '-m comment --comment pic:jump -j PIC-FORWARD',
        reason: 'test',
      },
      {
        kind: 'insert-jump',
        table: 'filter',
        chain: 'FORWARD',
        rule: '-m comment --comment pic:jump -j PIC-FORWARD',
        reason: 'test',
      },
    ]);
    expect(moved).toBe(
      '*filter\n-D FORWARD -m comment --comment pic:jump -j PIC-FORWARD\n-I FORWARD 1 -m comment --comment pic:jump -j PIC-FORWARD\nCOMMIT\n',
    );
  });
});
