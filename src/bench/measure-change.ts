import { Writable } from 'node:stream';
import { pino } from 'pino';
import { isRestoreCommand } from '../apply/apply-plan.js';
import type { ReconcileTimings } from '../pass/reconcile-cell.js';
import { Controller } from '../loop/controller.js';
import { isReady } from '../status/controller-status.js';
import { createNetnsCell } from './netns-cell.js';
import type { ExecRecord } from '../testbed/recording-target.js';
import { changedPeerFile, peerName, peerResource, type CellSize } from './synthetic-state.js';
import { saveStateFile } from './write-state-dir.js';

export interface ChangeRun {
  /** From just before the file is saved to the end of the verified pass it triggered. */
  readonly ms: number;
  /** The pass alone (load, observe, plan, apply, verify), as the controller measured it. */
  readonly passMs: number;
  /** The reconcile inside the pass (from the controller's log line); the rest of passMs is loading the state. */
  readonly timings: ReconcileTimings;
  readonly actions: Readonly<Record<string, number>>;
  readonly restoreBytes: number;
  readonly restoreLines: number;
  /** Chains the restore input names (`-A`, `-I`, `-D`, `-F`, `-X`, `:` lines). */
  readonly chainsTouched: readonly string[];
  readonly execs: number;
}

export interface ChangeResult {
  /** The first pass: the whole cell from empty namespaces, by the controller. */
  readonly startupMs: number;
  readonly runs: readonly ChangeRun[];
}

/** Pause between saves, longer than the controller's pacing, as between two edits by a person. */
const SETTLE_MS = 500;

function chainsIn(stdinText: string): string[] {
  const chains = new Set<string>();
  for (const line of stdinText.split('\n')) {
    const match = /^(?::(\S+)|-[AIDFX] (\S+))/.exec(line);
    const chain = match?.[1] ?? match?.[2];
    if (chain !== undefined) chains.add(chain);
  }
  return [...chains];
}

/** Waits until no pass has run for SETTLE_MS (the startup pass can be followed by one for the Corefile it wrote). */
async function settle(controller: Controller): Promise<void> {
  for (;;) {
    const quiet = new Promise<boolean>((done) => setTimeout(() => done(true), SETTLE_MS));
    if (await Promise.race([quiet, controller.nextPass().then(() => false)])) return;
  }
}

/** Resolves at the end of the first pass that the state directory triggered. */
async function statePass(controller: Controller): Promise<void> {
  do await controller.nextPass();
  while (!(controller.status().lastReconcile?.triggers.includes('state') ?? false));
}

/** The controller's JSON log lines, kept only for the timings of its last reconcile. */
function passLog(): { sink: Writable; lastTimings(): ReconcileTimings | null } {
  let last: ReconcileTimings | null = null;
  let pending = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const entry = JSON.parse(line) as { timings?: ReconcileTimings };
        if (entry.timings !== undefined) last = entry.timings;
      }
      done();
    },
  });
  return { sink, lastTimings: () => last };
}

/**
 * One peer changed in a converged cell, from file save to verified convergence: the real
 * Controller (state-dir watcher, debounce, pacing, last-good store, logs) against namespaces.
 * Each run flips the middle peer's internet access, so every save is a real change.
 */
export async function measureChange(size: CellSize, stateDir: string, runs: number): Promise<ChangeResult> {
  const cell = await createNetnsCell();
  const wireguard = cell.targets.wireguard;
  const log = passLog();
  const controller = new Controller({
    stateDir,
    config: cell.config,
    targets: cell.targets,
    docker: null,
    containers: [],
    logger: pino({ level: 'info' }, log.sink),
    allowMassDelete: false,
    serveHttp: false,
  });
  try {
    const t0 = performance.now();
    const first = controller.nextPass();
    await controller.start();
    await first;
    const startupMs = performance.now() - t0;
    if (!isReady(controller.status()))
      throw new Error(
        `controller did not converge at startup: ${controller.status().lastReconcile?.errors.join('; ') ?? ''}`,
      );
    const changed = changedPeerFile(size);
    const original = { path: changed.path, content: peerResource(Math.floor(size.peers / 2), size.links) };
    if (changed.path !== `peers/${peerName(Math.floor(size.peers / 2))}.json`)
      throw new Error('unexpected changed file');
    const out: ChangeRun[] = [];
    for (let r = 0; r < runs; r++) {
      await settle(controller);
      const records: ExecRecord[] = [];
      wireguard.take();
      cell.targets.caddy.take();
      const start = performance.now();
      const pass = statePass(controller);
      await saveStateFile(stateDir, r % 2 === 0 ? changed : original);
      await pass;
      const ms = performance.now() - start;
      records.push(...wireguard.take(), ...cell.targets.caddy.take());
      const timings = log.lastTimings();
      if (timings === null) throw new Error('the controller logged no reconcile line');
      const last = controller.status().lastReconcile;
      if (last === null || !last.converged)
        throw new Error(`change pass did not converge: ${last?.errors.join('; ') ?? 'no pass'}`);
      const input = records
        .filter((record) => isRestoreCommand(record.argv))
        .map((record) => record.stdin)
        .join('');
      out.push({
        ms,
        passMs: last.durationMs,
        timings,
        actions: last.actions,
        restoreBytes: Buffer.byteLength(input),
        restoreLines: input.split('\n').filter((line) => line !== '').length,
        chainsTouched: chainsIn(input),
        execs: records.length,
      });
    }
    return { startupMs, runs: out };
  } finally {
    await controller.stop();
    await cell.dispose();
  }
}
