#!/usr/bin/env node
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { configFileJson, controllerConfigSchema, layoutOf } from '../config/controller-config.js';
import { loadState } from '../load/load-state.js';
import { holdCellLock } from '../lock/cell-lock.js';
import { resourceKey } from '../load/loaded-state.js';
import { formatIssue } from '../text/state-issue.js';
import { Controller } from '../loop/controller.js';
import { isReady } from '../status/controller-status.js';
import { openCellTargets } from '../targets/open-cell-targets.js';
import { cleanupNamespaces } from '../testbed/netns.js';
import { compareMatrix, probeMatrix } from '../testbed/probe-matrix.js';
import { buildTestbedCell, type TestbedCell } from '../testbed/testbed-cell.js';
import { ensureDemoPrerequisites } from './ensure-prerequisites.js';
import { demoCommands, type DemoCommands } from './demo-commands.js';
import { deniedPair, explainDenied } from './demo-explain.js';
import { formatScreen } from './format-screen.js';

/**
 * `npm run demo`: a cell of network namespaces, the controller converging it from state/,
 * and a live table of who reaches whom. Edit a file in state/ and watch the table change.
 * `--once` prints the table after convergence and exits (0 when it matches the state).
 * SIGINT, SIGTERM and SIGHUP stop the controller and remove every namespace; a second
 * signal exits at once, and the testbed's exit hook still removes the namespaces.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const REFRESH_MS = 3_000;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      once: { type: 'boolean', default: false },
      state: { type: 'string', default: 'state' },
      listen: { type: 'string', default: '127.0.0.1:9470' },
    },
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
  let controller: Controller | null = null;
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await controller?.stop().catch(() => undefined);
      await cleanupNamespaces();
      await rm(work, { recursive: true, force: true });
    })());
  const onSignal = (signal: string): void => {
    if (stopping !== null) process.exit(130);
    process.stderr.write(`\ndemo: ${signal}: stopping the controller and removing the namespaces...\n`);
    void stop().finally(() => process.exit(0));
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  // Read through a call: the signal handler sets `stopping` behind the compiler's back.
  const stopped = (): Promise<void> | null => stopping;

  process.stderr.write(`demo: building a cell of network namespaces for ${initial.state.peers.length} peers...\n`);
  try {
    const cell = await buildTestbedCell(initial.state);
    const config = controllerConfigSchema.parse({
      targets: { wireguard: `netns:${cell.wg}`, caddy: `netns:${cell.lan}`, api: `ip:${cell.apiIp}`, dns: 'none' },
      corefile: join(work, 'Corefile'),
      listen: values.listen,
      status_dir: join(work, 'status'),
      resync_seconds: 10,
    });
    // The config as a file, so the printed explain/access/status commands reach this cell.
    const configFile = join(work, 'config.json');
    await writeFile(configFile, `${JSON.stringify(configFileJson(config), null, 2)}\n`);
    const commands = demoCommands({
      stateDir: values.state,
      configFile,
      listen: values.listen,
      denied: deniedPair(initial.state),
    });
    // The demo writes its cell like `run` does: an `apply` aimed at it is refused while it runs.
    const refusal = await holdCellLock(config.targets.wireguard, config.lock_dir);
    if (refusal !== null) throw new Error(refusal);
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
    // One explain, of the rules as the first pass left them: why a denied pair is denied.
    const explain = await explainDenied(await loadState(stateDir), cell, layoutOf(config), (pair) =>
      values.once
        ? null
        : demoCommands({ stateDir: values.state, configFile, listen: values.listen, denied: pair }).explain,
    );
    const screen = (once: boolean) =>
      snapshot(controller as Controller, cell, {
        stateDir,
        stateName: values.state,
        listen: values.listen,
        once,
        explain,
        configFile,
        commands,
      });
    if (values.once) {
      const { text, matches } = await screen(true);
      process.stdout.write(text);
      await stop();
      return matches && isReady(controller.status()) ? 0 : 1;
    }
    process.stderr.write(`demo: controller log in ${logFile}\n`);
    while (stopped() === null) {
      const { text } = await screen(false);
      if (stopped() !== null) break;
      process.stdout.write(`${process.stdout.isTTY ? '\x1b[2J\x1b[H' : '\n'}${text}`);
      await Promise.race([controller.nextPass(), new Promise((done) => setTimeout(done, REFRESH_MS))]);
    }
    await stopped();
    return 0;
  } catch (error) {
    // After a signal, failures are the teardown pulling namespaces from under a probe.
    const teardown = stopped();
    if (teardown !== null) return teardown.then(() => 0);
    process.stderr.write(`demo: ${(error as Error).message}\n`);
    await stop();
    return 1;
  }
}

interface SnapshotOptions {
  readonly stateDir: string;
  readonly stateName: string;
  readonly listen: string;
  readonly once: boolean;
  readonly explain: string | null;
  readonly configFile: string;
  readonly commands: DemoCommands;
}

/** Probes the matrix for the state on disk now and lays out the screen. */
async function snapshot(
  controller: Controller,
  cell: TestbedCell,
  options: SnapshotOptions,
): Promise<{ text: string; matches: boolean }> {
  const loaded = await loadState(options.stateDir);
  if (loaded.state === null)
    return { text: `state is invalid:\n${loaded.issues.map(formatIssue).join('\n')}\n`, matches: false };
  const state = loaded.state;
  const rows = await probeMatrix(state, cell);
  const mismatches = compareMatrix(state, rows);
  const peerFile = (name: string): string | null =>
    [...loaded.fileResources].find(([, keys]) => keys.includes(resourceKey({ kind: 'Peer', name })))?.[0] ?? null;
  const text = formatScreen({
    state,
    stateDir: options.stateName,
    rows,
    mismatches,
    status: controller.status(),
    namespaces: cell.namespaces.length,
    listen: options.listen,
    peerFile,
    once: options.once,
    explain: options.explain,
    configFile: options.configFile,
    commands: options.commands,
  });
  return { text, matches: mismatches.length === 0 };
}

main().then((code) => process.exit(code));
