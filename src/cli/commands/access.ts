import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareMatrices, computeMatrix, withRulesets } from '../../access/access-matrix.js';
import type { Dataplane, Ruleset } from '../../access/access-types.js';
import { desiredDataplane, liveRouting } from '../../access/build-dataplane.js';
import {
  formatMatrixText,
  matrixToJson,
  otherBackendRules,
  type MatrixReport,
} from '../../access/format-access-matrix.js';
import { endpointContext } from '../../access/resolve-endpoints.js';
import { addressOn } from '../../access/route-lookup.js';
import { resourceSources, ruleProvenance } from '../../access/rule-provenance.js';
import { layoutOf, type ControllerConfig } from '../../config/controller-config.js';
import { loadState } from '../../load/load-state.js';
import { parseIPv4 } from '../../model/ipv4.js';
import { ProgramNotFoundError, type Target } from '../../model/target.js';
import { ownBackend, parseBackendsOutput, SAVE_BOTH, type BackendsRead } from '../../parse/parse-iptables-backends.js';
import { SAVED_FILES } from '../../observe/observe-saved.js';
import { renderCell } from '../../render/render-cell.js';
import type { CliValues } from '../cli-values.js';
import { isDirectory, printError, printIssues, readConfig } from '../cli-common.js';
import { openCellTargets } from '../../targets/open-cell-targets.js';

/** What the matrix is computed from: the iptables backends, routing text and the api's address. */
interface CellView {
  readonly iptables: BackendsRead;
  readonly ipRule: string;
  readonly ipRoute: string;
  readonly apiIp: string | null;
}

async function readOptional(dir: string, name: string): Promise<string> {
  return readFile(join(dir, name), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
}

async function readDump(dir: string): Promise<CellView> {
  const [iptablesSave, ipRule, ipRoute, apiIp] = await Promise.all(
    [SAVED_FILES.iptables, SAVED_FILES.rules, SAVED_FILES.routes, SAVED_FILES.apiIp].map((name) =>
      readOptional(dir, name),
    ),
  );
  const api = (apiIp ?? '').trim() === '' ? null : (apiIp ?? '').trim();
  if (api !== null && parseIPv4(api) === null) throw new Error(`${SAVED_FILES.apiIp}: not an IPv4 address`);
  // A saved file may hold one backend's dump or both (the controller's own read).
  return {
    iptables: parseBackendsOutput(SAVED_FILES.iptables, iptablesSave ?? ''),
    ipRule: ipRule ?? '',
    ipRoute: ipRoute ?? '',
    apiIp: api,
  };
}

async function runOk(target: Target, argv: readonly string[]): Promise<string> {
  const result = await target.exec(argv);
  if (result.exitCode !== 0)
    throw new Error(
      `${target.locator}: ${argv[0] ?? ''}: exit ${result.exitCode}: ${result.stderr.trim().split('\n').at(-1) ?? ''}`,
    );
  return result.stdout;
}

async function readLive(config: ControllerConfig, ipRange: string): Promise<CellView> {
  const targets = openCellTargets(config);
  const wg = targets.wireguard;
  const saveBoth = runOk(wg, ['sh', '-c', SAVE_BOTH]).catch((error: unknown) => {
    if (error instanceof ProgramNotFoundError) return runOk(wg, ['iptables-save']);
    throw error;
  });
  const [saved, ipRule, ipRoute, apiIp] = await Promise.all([
    saveBoth,
    runOk(wg, ['ip', '-4', '-j', 'rule']),
    runOk(wg, ['ip', '-4', '-j', 'route', 'show', 'table', 'all']),
    targets.api.address(ipRange).catch(() => null),
  ]);
  return {
    iptables: parseBackendsOutput(wg.locator, saved),
    ipRule,
    ipRoute,
    apiIp: apiIp !== null && parseIPv4(apiIp) !== null ? apiIp : null,
  };
}

/** `access`: who reaches whom over the live rules, marked where it differs from the desired state. Exit 0 answered, 1 error. */
export async function runAccessCommand(values: CliValues): Promise<number> {
  const stateDir = values.state;
  if (stateDir === undefined || stateDir === '') {
    printError('--state is required');
    return 1;
  }
  const config = await readConfig(values);
  if (config === null) return 1;
  const layout = layoutOf(config);
  const loaded = await loadState(stateDir);
  printIssues(stateDir, loaded.issues);
  if (loaded.issues.length > 0 || loaded.state === null) return 1;
  const state = loaded.state;
  const fromDump = values['from-dump'];
  if (fromDump !== undefined && !(await isDirectory(fromDump))) {
    printError(`--from-dump ${fromDump}: not a directory`);
    return 1;
  }
  let view: CellView;
  try {
    view = fromDump === undefined ? await readLive(config, state.cell.ip_range) : await readDump(fromDump);
  } catch (error) {
    printError((error as Error).message);
    return 1;
  }
  if (!view.iptables.iptables.ok) {
    printError(view.iptables.iptables.error);
    return 1;
  }
  const routing = liveRouting(view.ipRule, view.ipRoute);
  if (!routing.ok) {
    printError(routing.error);
    return 1;
  }
  const resources = resourceSources(loaded);
  const facts = { apiIp: view.apiIp };
  const { backend } = view.iptables;
  const rulesets: Ruleset[] = [
    { name: ownBackend(backend) ?? (fromDump === undefined ? 'live' : 'dump'), iptables: view.iptables.iptables.value },
    ...(backend.other === null ? [] : [{ name: backend.other.name, iptables: backend.other.iptables }]),
  ];
  const live: Dataplane = {
    rulesets,
    routing: routing.value,
    sourceOf: ruleProvenance(state, renderCell(state, facts, layout).iptables, resources),
  };
  // What the desired state implies: the rendered rules on the same routing, so a mark is the firewall's doing.
  const desired = withRulesets(live, desiredDataplane(state, facts, layout, resources).rulesets);
  const ctx = endpointContext(state, layout, live.routing, {
    wireguardAddress: addressOn(live.routing, layout.wireguardInterface),
    apiIp: facts.apiIp,
  });
  const liveMatrix = computeMatrix(live, ctx);
  const report: MatrixReport = {
    axes: liveMatrix,
    cells: compareMatrices(liveMatrix, computeMatrix(desired, ctx)),
    rules: fromDump === undefined ? 'live' : `saved (${fromDump})`,
    rulesets: rulesets.map((r) => r.name),
    otherBackend:
      backend.other === null ? null : { name: backend.other.name, rules: otherBackendRules(backend.other.iptables) },
  };
  process.stdout.write(values.json ? `${JSON.stringify(matrixToJson(report), null, 2)}\n` : formatMatrixText(report));
  return 0;
}
