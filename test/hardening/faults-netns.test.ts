/**
 * Fault injection on a real namespace cell, through the controller loop. Each fault is
 * switched on, an edit is made, and then:
 *   - the live ruleset is the old one or the new one, never a mix;
 *   - the controller stays up and says what went wrong in Controller.status();
 *   - once the fault is switched off, it converges.
 *
 * How each fault is made real:
 *   - iptables-restore failing mid-way: a decorator inserts a line jumping to a missing
 *     chain before the filter table's COMMIT, so the kernel refuses the transaction;
 *   - iptables-restore killed mid-way: `timeout -s KILL 1 sh -c '(head -n 2; sleep 30) | iptables-restore'`:
 *     the real iptables-restore has read two lines of its input and waits for more when
 *     the whole process group is SIGKILLed; and `timeout -s KILL <ms>` at random moments;
 *   - exec timeouts: every command of the wireguard target runs behind `sleep 1` with a
 *     200 ms deadline, so spawn-command's own deadline kills it;
 *   - a read-only and a full Corefile folder: the Corefile lives on a tmpfs we mount on a
 *     temp dir of our own, remounted read-only, then shrunk to 4 KiB (`size=4k`); unmounted after;
 *   - the state dir unmounted: renamed away, replaced by an empty dir, or stripped of its peers.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadState } from '../../src/load/load-state.js';
import { Controller } from '../../src/loop/controller.js';
import type { ControllerStatus } from '../../src/status/controller-status.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { cleanupNamespaces } from '../../src/testbed/netns.js';
import { compareMatrix, probeMatrix } from '../../src/testbed/probe-matrix.js';
import { EXAMPLE_STATE } from '../helpers/build-state.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { createTestbed, liveRules, type TestbedFixture } from '../helpers/testbed.js';
import { converged, passUntil, SILENT, writeStateFiles } from './state-files.js';
import { faultyTarget, isRestore, shellLine, type Fault } from './target-decorators.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

const failed = (s: ControllerStatus): boolean => s.lastReconcile?.converged === false;

function ready_(s: ControllerStatus): string | undefined {
  return s.conditions.find((c) => c.type === 'Ready')?.status;
}

/** Before the filter table's COMMIT: a rule jumping to a chain that does not exist. */
function withBadLine(stdin: string): string {
  return stdin.replace(/^COMMIT$/m, '-A PIC-FORWARD -j PIC-NO-SUCH-CHAIN\nCOMMIT');
}

describe('faults on a namespace cell', () => {
  let bed: TestbedFixture;
  let work: string;
  let stateDir: string;
  let corefileDir: string;
  let controller: Controller;
  let flips = 0;
  const sw: { fault: Fault | null } = { fault: null };

  beforeAll(async () => {
    if (!ready.ok) return;
    bed = await createTestbed(EXAMPLE_STATE);
    work = await mkdtemp(join(tmpdir(), 'pict-faults-'));
    stateDir = join(work, 'state');
    corefileDir = join(work, 'dns');
    await mkdir(corefileDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', corefileDir]);
    await writeStateFiles(stateDir, EXAMPLE_STATE);
    const config = { ...bed.config, corefile: join(corefileDir, 'Corefile'), resync_seconds: 3600 };
    controller = new Controller({
      stateDir,
      config,
      targets: { ...bed.targets, wireguard: faultyTarget(bed.targets.wireguard, sw), corefilePath: config.corefile },
      docker: null,
      containers: [],
      logger: SILENT,
      allowMassDelete: false,
      serveHttp: false,
    });
    const first = controller.nextPass();
    await controller.start();
    await first;
    await passUntil(controller, converged);
  });
  afterAll(async () => {
    sw.fault = null;
    await controller?.stop();
    if (corefileDir !== undefined) execFileSync('umount', [corefileDir]);
    if (work !== undefined) await rm(work, { recursive: true, force: true });
    await bed?.dispose();
    await cleanupNamespaces();
  });

  /** Edits bob's file: internet access flips (iptables only), or a service is added or removed (iptables and Corefile). */
  async function editBob(what: 'internet' | 'services'): Promise<void> {
    flips++;
    const bob = EXAMPLE_STATE.peers.find((p) => p.name === 'bob');
    const edited =
      what === 'internet'
        ? { ...bob, internet_access: flips % 2 === 1 }
        : { ...bob, service_access: flips % 2 === 1 ? ['calendar', 'mail', 'files'] : ['calendar', 'mail'] };
    await writeFile(join(stateDir, 'peers', 'bob.json'), JSON.stringify(edited));
  }

  /** Runs one iptables fault; returns the live rules before, during and after. `outcome`: what the faulty pass may end as. */
  async function iptablesFault(
    fault: Fault,
    outcome = failed,
  ): Promise<{ before: string; during: string; after: string; status: ControllerStatus }> {
    const before = await liveRules(bed.cell.wg);
    sw.fault = fault;
    await editBob('internet');
    const status = await passUntil(controller, outcome);
    const during = await liveRules(bed.cell.wg);
    sw.fault = null;
    await passUntil(controller, converged);
    const after = await liveRules(bed.cell.wg);
    expect(after).not.toBe(before);
    expect([before, after]).toContain(during);
    expect(ready_(status)).toBe(converged(status) ? 'True' : 'False');
    for (const error of status.lastReconcile?.errors ?? []) expect(error).not.toMatch(/\n/);
    return { before, during, after, status };
  }

  it('iptables-restore refusing a bad line leaves the old ruleset', async () => {
    const { before, during, status } = await iptablesFault((argv, options, inner) =>
      inner.exec(argv, isRestore(argv) ? { ...options, stdin: withBadLine(options?.stdin ?? '') } : options),
    );
    expect(during).toBe(before);
    expect(status.lastReconcile?.errors.join(' ')).toMatch(/iptables-restore exit \d+/);
  });

  it('iptables-restore killed after reading two lines leaves the old ruleset', async () => {
    const { before, during, status } = await iptablesFault((argv, options, inner) =>
      isRestore(argv)
        ? inner.exec(['timeout', '-s', 'KILL', '1', 'sh', '-c', `(head -n 2; sleep 30) | ${shellLine(argv)}`], options)
        : inner.exec(argv, options),
    );
    expect(during).toBe(before);
    expect(status.lastReconcile?.errors.join(' ')).toMatch(/exit 137/);
  });

  for (const delay of ['0.001', '0.005', '0.02']) {
    it(`iptables-restore SIGKILLed after ${delay} s: old or new, never a mix`, async () => {
      // Killed before the restore committed: a failed pass. Killed after it (the shell had printed
      // its mark, then the read-back died): the restore counts, verify reads the tables itself.
      const { during, before, after } = await iptablesFault(
        (argv, options, inner) =>
          isRestore(argv)
            ? inner
                .exec(['timeout', '-s', 'KILL', delay, ...argv], options)
                .then((r) => (r.exitCode === 0 ? { ...r, exitCode: 137 } : r))
            : inner.exec(argv, options),
        (s) => failed(s) || converged(s),
      );
      console.log(
        `killed after ${delay} s: live rules were the ${during === before ? 'old' : during === after ? 'new' : 'MIXED'} ones`,
      );
    });
  }

  it('every wireguard command timing out leaves the old ruleset and marks the target unreachable', async () => {
    const { before, during, status } = await iptablesFault((argv, options, inner) =>
      inner.exec(['sh', '-c', 'sleep 1; exec "$@"', 'sh', ...argv], { ...options, timeoutMs: 200 }),
    );
    expect(during).toBe(before);
    expect(status.lastReconcile?.errors.join(' ')).toMatch(/timed out after 200 ms/);
    expect(status.conditions.find((c) => c.type === 'TargetsReachable')?.status).toBe('False');
  });

  async function corefileFault(mountOptions: string, error: RegExp): Promise<string[]> {
    const corefile = join(corefileDir, 'Corefile');
    const beforeText = await readFile(corefile, 'utf8');
    const beforeRules = await liveRules(bed.cell.wg);
    execFileSync('mount', ['-o', `remount,${mountOptions}`, corefileDir]);
    await editBob('services');
    let status: ControllerStatus;
    try {
      status = await passUntil(controller, failed);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw,size=1m', corefileDir]);
    }
    expect(status.lastReconcile?.errors.join(' ')).toMatch(error);
    expect(await readFile(corefile, 'utf8')).toBe(beforeText);
    // The other parts are independent: the firewall took the edit anyway.
    expect(await liveRules(bed.cell.wg)).not.toBe(beforeRules);
    await passUntil(controller, converged);
    expect(await readFile(corefile, 'utf8')).not.toBe(beforeText);
    // Listed once converged: a retry still in flight would be writing a temp file of its own. A converged
    // pass writes nothing more, and a temp file a failed write left behind would still be here.
    return (await readdir(corefileDir)).filter((name) => name !== 'Corefile');
  }

  it('a read-only Corefile folder keeps the old Corefile; the rest converges; writable again, it converges', async () => {
    expect(await corefileFault('ro', /EROFS/)).toEqual([]);
  });

  it('a full Corefile folder keeps the old Corefile; with room again, it converges', async () => {
    // A failed write leaves no temp file behind, however often it is retried.
    expect(await corefileFault('size=4k', /ENOSPC/)).toEqual([]);
  });

  describe('the state dir goes away', () => {
    async function stateFault(
      breakIt: () => Promise<void>,
      restore: () => Promise<void>,
      held: (s: ControllerStatus) => boolean,
    ): Promise<ControllerStatus> {
      const before = await liveRules(bed.cell.wg);
      await breakIt();
      let status: ControllerStatus;
      try {
        status = await passUntil(controller, held);
        expect(await liveRules(bed.cell.wg)).toBe(before);
      } finally {
        await restore();
      }
      await passUntil(controller, (s) => converged(s) && s.fileErrors.length === 0);
      expect(await liveRules(bed.cell.wg)).toBe(before);
      return status;
    }

    it('renamed away: every resource keeps its last good version', async () => {
      const status = await stateFault(
        () => rename(stateDir, `${stateDir}.away`),
        () => rename(`${stateDir}.away`, stateDir),
        (s) => s.fileErrors.some((e) => e.file === '.' && /ENOENT/.test(e.message)),
      );
      expect(status.conditions.find((c) => c.type === 'StateValid')?.status).toBe('False');
    });

    it('replaced by an empty dir: nothing applied', async () => {
      const status = await stateFault(
        async () => {
          await rename(stateDir, `${stateDir}.away`);
          await mkdir(stateDir);
        },
        async () => {
          await rm(stateDir, { recursive: true });
          await rename(`${stateDir}.away`, stateDir);
        },
        // Either refusal holds: no Cell to reconcile, or the guard against an emptied folder.
        (s) =>
          s.conditions.some(
            (c) => c.type === 'Ready' && (c.reason === 'NoValidState' || c.reason === 'MassDeleteGuard'),
          ),
      );
      expect(ready_(status)).toBe('False');
    });

    it('stripped of every peer and link: the mass-delete guard holds', async () => {
      const status = await stateFault(
        async () => {
          await rename(join(stateDir, 'peers'), join(work, 'peers.away'));
          await rename(join(stateDir, 'cells'), join(work, 'cells.away'));
        },
        async () => {
          await rename(join(work, 'peers.away'), join(stateDir, 'peers'));
          await rename(join(work, 'cells.away'), join(stateDir, 'cells'));
        },
        (s) => s.massDeleteGuard.blocked,
      );
      expect(status.massDeleteGuard.reason).toMatch(/mass-delete guard/);
      expect(controller.status().massDeleteGuard.blocked).toBe(false);
    });
  });

  it('after all of it, the packets match the state', async () => {
    const loaded = await loadState(stateDir);
    const state = loaded.state as DesiredState;
    expect(compareMatrix(state, await probeMatrix(state, bed.cell))).toEqual([]);
  });
});
