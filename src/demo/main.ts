#!/usr/bin/env node
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { controllerConfigSchema } from '../config/controller-config.js';
import { loadState } from '../load/load-state.js';
import { formatIssue } from '../load/state-issue.js';
import { Controller } from '../loop/controller.js';
import { isReady } from '../loop/controller-status.js';
import type { DesiredState } from '../model/desired-state.js';
import { openCellTargets } from '../cli/open-cell-targets.js';
import { cleanupNamespaces } from '../testbed/netns.js';
import { compareMatrix, probeMatrix } from '../testbed/probe-matrix.js';
import { buildTestbedCell, type TestbedCell } from '../testbed/testbed-cell.js';
import { ensureDemoPrerequisites } from './ensure-prerequisites.js';
import { formatMatrix } from './format-matrix.js';

/**
 * `npm run demo`: a cell of network namespaces, the controller converging it from state/,
 * and a live table of who reaches whom. Edit a file in state/ and watch the table change.
 * `--once` prints the table after convergence and exits (0 when it matches the state).
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { once: { type: 'boolean', default: false }, state: { type: 'string', default: 'state' }, listen: { type: 'string', default: '127.0.0.1:9470' } },
  });
  const problem = ensureDemoPrerequisites();
  if (problem !== null) {
    process.stderr.write(`demo: ${problem}\n`);
    return 1;
  }
  const stateDir = resolve(values.state);
  const initial = await loadState(stateDir);
  if (initial.state === null) {
    for (const issue of initial.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    process.stderr.write(`demo: ${stateDir} holds no valid cell\n`);
    return 1;
  }
  const work = await mkdtemp(join(tmpdir(), 'pic-demo-'));
  const logFile = join(work, 'controller.log');
  process.stderr.write(`demo: building a cell of network namespaces for ${initial.state.peers.length} peers...\n`);
  let cell: TestbedCell | null = null;
  let controller: Controller | null = null;
  let stopping = false;
  const stop = async (): Promise<void> => {
    stopping = true;
    await controller?.stop();
    await cleanupNamespaces();
    await rm(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
  try {
    cell = await buildTestbedCell(initial.state);
    const config = controllerConfigSchema.parse({
      targets: { wireguard: `netns:${cell.wg}`, caddy: `netns:${cell.lan}`, api: `ip:${cell.apiIp}`, dns: 'none' },
      corefile: join(work, 'Corefile'),
      listen: values.listen,
      status_dir: join(work, 'status'),
      resync_seconds: 10,
    });
    controller = new Controller({
      stateDir,
      config,
      targets: openCellTargets(config),
      docker: null,
      containers: [],
      logger: pino({ level: 'info' }, pino.destination({ dest: logFile, sync: false })),
      allowMassDelete: false,
    });
    const firstPass = controller.nextPass();
    await controller.start();
    await firstPass;
    process.stderr.write(`demo: controller on ${values.listen} (try: npx pic-reconciler status), log in ${logFile}\n`);
    if (values.once) {
      const { text, mismatches } = await snapshot(controller, stateDir, cell);
      process.stdout.write(text);
      await stop();
      return mismatches === 0 && isReady(controller.status()) ? 0 : 1;
    }
    while (!stopping) {
      const { text } = await snapshot(controller, stateDir, cell);
      if (stopping) break;
      process.stdout.write(`${process.stdout.isTTY ? '\x1b[2J\x1b[H' : '\n'}${text}\nEdit a file in ${values.state}/ and watch this table change. Ctrl-C removes every namespace the demo made.\n`);
      await Promise.race([controller.nextPass(), new Promise((done) => setTimeout(done, 3_000))]);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n`);
    await stop();
    return 1;
  }
}

async function snapshot(controller: Controller, stateDir: string, cell: TestbedCell): Promise<{ text: string; mismatches: number }> {
  const loaded = await loadState(stateDir);
  const state: DesiredState | null = loaded.state;
  if (state === null) return { text: `state is invalid:\n${loaded.issues.map(formatIssue).join('\n')}\n`, mismatches: 1 };
  const rows = await probeMatrix(state, cell);
  const mismatches = compareMatrix(state, rows);
  const status = controller.status();
  const last = status.lastReconcile;
  const header = `cell "${state.cell.name}": ${state.peers.length} peers, ${state.links.length} linked cells; ` +
    `last reconcile ${last?.id ?? '-'} ${last?.converged ? 'converged' : 'NOT converged'}${status.fileErrors.length ? `; ${status.fileErrors.length} file error(s)` : ''}\n`;
  const errors = status.fileErrors.map((e) => `  ${e.file}: ${e.pointer}: ${e.message}\n`).join('');
  const verdict = mismatches.length === 0 ? 'every cell matches the desired state\n' : `${mismatches.length} cell(s) differ from the desired state (marked !)\n`;
  return { text: `${header}${errors}\n${formatMatrix(state, rows, mismatches)}\n${verdict}`, mismatches: mismatches.length };
}

main().then((code) => process.exit(code));
