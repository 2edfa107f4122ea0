import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import {
  configFileJson,
  controllerConfigSchema,
  layoutOf,
  type ControllerConfig,
} from '../../src/config/controller-config.js';
import type { Dataplane } from '../../src/access/access-types.js';
import { evaluateConnection } from '../../src/access/evaluate-connection.js';
import { loadState } from '../../src/load/load-state.js';
import type { CellTargets } from '../../src/model/cell-targets.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import type { LayoutConfig } from '../../src/model/facts.js';
import { openCellTargets } from '../../src/targets/open-cell-targets.js';
import { cleanupNamespaces, nsRunOk, type Endpoint } from '../../src/testbed/netns.js';
import { buildTestbedCell, type TestbedCell } from '../../src/testbed/testbed-cell.js';
import { createRecordingTarget, type RecordingTarget } from '../../src/testbed/recording-target.js';
import type { PrerequisiteCheck } from './prerequisites.js';

/** A testbed cell of namespaces with the controller's targets pointed at it. */
export interface TestbedFixture {
  readonly cell: TestbedCell;
  readonly config: ControllerConfig;
  readonly layout: LayoutConfig;
  readonly targets: CellTargets & { readonly wireguard: RecordingTarget; readonly caddy: RecordingTarget };
  readonly workDir: string;
  readonly corefilePath: string;
  dispose(): Promise<void>;
}

export async function loadValidState(dir: string): Promise<DesiredState> {
  const loaded = await loadState(dir);
  if (loaded.state === null || loaded.issues.length > 0)
    throw new Error(`state ${dir} is invalid: ${JSON.stringify(loaded.issues)}`);
  return loaded.state;
}

export async function createTestbed(state: DesiredState): Promise<TestbedFixture> {
  const cell = await buildTestbedCell(state);
  const workDir = await mkdtemp(join(tmpdir(), 'pict-work-'));
  const corefilePath = join(workDir, 'Corefile');
  const config = controllerConfigSchema.parse({
    targets: { wireguard: `netns:${cell.wg}`, caddy: `netns:${cell.lan}`, api: `ip:${cell.apiIp}`, dns: 'none' },
    corefile: corefilePath,
    listen: '127.0.0.1:0',
    status_dir: join(workDir, 'status'),
    lock_dir: join(workDir, 'lock'),
    debounce_ms: 50,
    min_interval_ms: 50,
  });
  const plain = openCellTargets(config);
  const targets = {
    ...plain,
    wireguard: createRecordingTarget(plain.wireguard),
    caddy: createRecordingTarget(plain.caddy),
  };
  return {
    cell,
    config,
    layout: layoutOf(config),
    targets,
    workDir,
    corefilePath,
    async dispose() {
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** The state and testbed of a suite, as useTestbed hands them out: read them in hooks and tests, not at collection. */
export interface SuiteTestbed {
  readonly state: DesiredState;
  readonly bed: TestbedFixture;
}

export interface SuiteTestbedOptions {
  /** Runs in the same beforeAll once the testbed is up: a first apply, the rules the tests start from. */
  readonly setup?: (testbed: SuiteTestbed) => Promise<void>;
  /** Runs first in afterAll, before the testbed goes (it goes even when this throws): stop what the suite started. */
  readonly teardown?: () => Promise<void> | void;
  /** The beforeAll's timeout in ms; vitest's hookTimeout when absent. */
  readonly timeoutMs?: number;
}

/**
 * Registers a suite's beforeAll (load the valid state in `stateDir`, build a testbed cell of it,
 * then `setup`) and afterAll (`teardown`, dispose, remove the namespaces), and returns getters for
 * the state and testbed. Nothing is built unless `ready.ok`: with a prerequisite missing the suite
 * fails in CI and is skipped elsewhere, as requirePrerequisites arranged.
 */
export function useTestbed(
  ready: PrerequisiteCheck,
  stateDir = 'state',
  options: SuiteTestbedOptions = {},
): SuiteTestbed {
  let state: DesiredState | undefined;
  let bed: TestbedFixture | undefined;
  beforeAll(async () => {
    if (!ready.ok) return;
    state = await loadValidState(stateDir);
    bed = await createTestbed(state);
    await options.setup?.({ state, bed });
  }, options.timeoutMs);
  afterAll(async () => {
    try {
      await options.teardown?.();
    } finally {
      await bed?.dispose();
      await cleanupNamespaces();
    }
  });
  const unset = (what: string): never => {
    throw new Error(`the testbed's ${what} is read before its beforeAll built it (${ready.reason ?? 'not built yet'})`);
  };
  return {
    get state() {
      return state ?? unset('state');
    },
    get bed() {
      return bed ?? unset('bed');
    },
  };
}

/** The namespace's rules as iptables-save prints them, without the banners (they carry a timestamp) and the chain counters (stray IGMP/ND packets move them). */
export async function liveRules(ns: string): Promise<string> {
  const dump = await nsRunOk(ns, ['iptables-save']);
  return dump
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.replace(/ \[\d+:\d+\]$/, ''))
    .join('\n');
}

/**
 * The live cell as the operator compares it: iptables-save without banners and counters, rules, routes, VIPs, Corefile.
 * IPv4 only: the kernel's IPv6 link-local addresses finish duplicate address detection on their own clock.
 */
export async function liveCell(bed: TestbedFixture): Promise<Record<string, string | null>> {
  return {
    iptables: await liveRules(bed.cell.wg),
    rules: await nsRunOk(bed.cell.wg, ['ip', '-4', '-j', 'rule']),
    routes: await nsRunOk(bed.cell.wg, ['ip', '-4', '-j', 'route', 'show', 'table', 'all']),
    addresses: await nsRunOk(bed.cell.lan, ['ip', '-4', '-j', 'addr', 'show', 'dev', 'eth0']),
    corefile: await readFile(bed.corefilePath, 'utf8').catch(() => null),
  };
}

/** A config file of the testbed's targets and Corefile in its work dir, as an operator writes one; returns its path. */
export async function writeConfigFile(bed: TestbedFixture): Promise<string> {
  const path = join(bed.workDir, 'config.json');
  await writeFile(path, JSON.stringify({ targets: configFileJson(bed.config).targets, corefile: bed.corefilePath }));
  return path;
}

/**
 * The packet model's `reaches` for the connection probeMatrix makes from `src` to one of the
 * matrixEndpoints: TCP in on wg0, and to the api only through the DNAT to its address.
 */
export function modelReaches(
  dataplane: Dataplane,
  bed: TestbedFixture,
  src: string,
  { label, endpoint }: { readonly label: string; readonly endpoint: Endpoint },
): boolean | null {
  const packet = { src, dst: endpoint.ip, proto: 'tcp' as const, dport: endpoint.port, sport: null, inIface: 'wg0' };
  return evaluateConnection(dataplane, packet, label === 'api' ? { expectDestination: bed.cell.apiIp } : {}).reaches;
}
