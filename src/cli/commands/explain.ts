import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataplane, Proto } from '../../access/access-types.js';
import {
  assumedWireguardAddress,
  desiredDataplane,
  liveDataplane,
  type WireguardDump,
} from '../../access/build-dataplane.js';
import { evaluateAcl } from '../../access/evaluate-dns-acl.js';
import { evaluateConnection } from '../../access/evaluate-connection.js';
import { explanationToJson, formatExplanationText } from '../../access/format-explanation.js';
import { endpointContext, resolveQuery } from '../../access/resolve-endpoints.js';
import { addressOn } from '../../access/route-lookup.js';
import { holdsNoRules } from '../../access/walk-rulesets.js';
import { resourceSources, ruleProvenance } from '../../access/rule-provenance.js';
import { layoutOf, type ControllerConfig } from '../../config/controller-config.js';
import { loadState } from '../../load/load-state.js';
import { escapeControl } from '../../text/state-issue.js';
import type { DesiredState } from '../../model/desired-state.js';
import type { LayoutConfig } from '../../model/facts.js';
import { parseIPv4 } from '../../model/ipv4.js';
import { parseCorefile } from '../../parse/parse-corefile.js';
import { SAVE_BOTH } from '../../parse/parse-iptables-backends.js';
import { SAVED_FILES } from '../../observe/observe-saved.js';
import { ProgramNotFoundError } from '../../model/target.js';
import { renderCell } from '../../render/render-cell.js';
import { renderCorefile } from '../../render/render-corefile.js';
import type { CliValues } from '../cli-values.js';
import { isDirectory, printError, printIssues, readConfig } from '../cli-common.js';
import { openCellTargets } from '../../targets/open-cell-targets.js';

/** `explain`: the packet model's answer for one connection. Exit 0 answered, 1 error. */
export interface ExplainOptions {
  readonly stateDir: string;
  readonly from: string;
  readonly to: string;
  readonly port: number | undefined;
  readonly proto: Proto | undefined;
  /** Over the rendered rules instead of the live ones. */
  readonly desired: boolean;
  /** A saved cell (the files of `plan --from`) instead of the live one. */
  readonly fromDump: string | undefined;
  readonly json: boolean;
}

/** The command line → ExplainOptions, or the one-line error. */
export function parseExplainOptions(values: CliValues): ExplainOptions | string {
  const { state, from, to, port, proto } = values;
  if (state === undefined || state === '') return '--state is required';
  if (from === undefined || from === '') return '--from is required';
  if (to === undefined || to === '') return '--to is required';
  const portNumber =
    port === undefined
      ? undefined
      : /^[0-9]{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535
        ? Number(port)
        : null;
  if (portNumber === null) return `--port ${port ?? ''}: expected 1-65535`;
  if (proto !== undefined && proto !== 'tcp' && proto !== 'udp') return `--proto ${proto}: expected tcp or udp`;
  return {
    stateDir: state,
    from,
    to,
    port: portNumber,
    proto,
    desired: values.desired,
    fromDump: values['from-dump'],
    json: values.json,
  };
}

export async function runExplainCommand(values: CliValues): Promise<number> {
  const options = parseExplainOptions(values);
  if (typeof options === 'string') {
    printError(options);
    return 1;
  }
  const config = await readConfig(values);
  if (config === null) return 1;
  return runExplain(options, config);
}

async function readOptional(dir: string, name: string): Promise<string | null> {
  return readFile(join(dir, name), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
}

interface CellView {
  readonly dump: WireguardDump;
  readonly apiIp: string | null;
  readonly corefile: string | null;
}

async function readDump(dir: string): Promise<CellView> {
  const [iptablesSave, ipRule, ipRoute, apiIp, corefile] = await Promise.all(
    [SAVED_FILES.iptables, SAVED_FILES.rules, SAVED_FILES.routes, SAVED_FILES.apiIp, SAVED_FILES.corefile].map((name) =>
      readOptional(dir, name),
    ),
  );
  const api = apiIp === null || apiIp === undefined || apiIp.trim() === '' ? null : apiIp.trim();
  if (api !== null && parseIPv4(api) === null) throw new Error(`${SAVED_FILES.apiIp}: not an IPv4 address`);
  return {
    dump: { iptablesSave: iptablesSave ?? '', ipRule: ipRule ?? '', ipRoute: ipRoute ?? '' },
    apiIp: api,
    corefile: corefile ?? null,
  };
}

async function readLive(config: ControllerConfig, ipRange: string): Promise<CellView> {
  const targets = openCellTargets(config);
  const run = async (argv: readonly string[]): Promise<string> => {
    const result = await targets.wireguard.exec(argv);
    if (result.exitCode !== 0)
      throw new Error(
        `${targets.wireguard.locator}: ${argv.join(' ')}: exit ${result.exitCode}: ${result.stderr.trim().split('\n').at(-1) ?? ''}`,
      );
    return result.stdout;
  };
  // Both iptables backends, as the controller reads them (the kernel enforces both).
  const saveBoth = run(['sh', '-c', SAVE_BOTH]).catch((error: unknown) => {
    if (error instanceof ProgramNotFoundError) return run(['iptables-save']);
    throw error;
  });
  const [iptablesSave, ipRule, ipRoute, apiIp, corefile] = await Promise.all([
    saveBoth,
    run(['ip', '-4', '-j', 'rule']),
    run(['ip', '-4', '-j', 'route', 'show', 'table', 'all']),
    targets.api.address(ipRange).catch(() => null),
    readFile(config.corefile, 'utf8').catch(() => null),
  ]);
  return {
    dump: { iptablesSave, ipRule, ipRoute },
    apiIp: apiIp !== null && parseIPv4(apiIp) !== null ? apiIp : null,
    corefile,
  };
}

export async function runExplain(options: ExplainOptions, config: ControllerConfig): Promise<number> {
  const layout = layoutOf(config);
  const loaded = await loadState(options.stateDir);
  printIssues(options.stateDir, loaded.issues);
  if (loaded.issues.length > 0 || loaded.state === null) return 1;
  const state = loaded.state;
  if (options.fromDump !== undefined && !(await isDirectory(options.fromDump))) {
    printError(`--from-dump ${options.fromDump}: not a directory`);
    return 1;
  }
  let view: CellView | null = null;
  try {
    if (options.fromDump !== undefined) view = await readDump(options.fromDump);
    else if (!options.desired || options.to.startsWith('dns:')) view = await readLive(config, state.cell.ip_range);
  } catch (error) {
    if (!options.desired) {
      printError((error as Error).message);
      return 1;
    }
  }
  if (options.to.startsWith('dns:')) return explainDns(options, state, view?.corefile ?? null);

  const resources = resourceSources(loaded);
  const facts = { apiIp: view?.apiIp ?? null };
  let dataplane: Dataplane;
  let wireguardAddress: string | null;
  if (options.desired) {
    dataplane = desiredDataplane(state, facts, layout, resources);
    wireguardAddress = assumedWireguardAddress(state);
  } else {
    const sourceOf = ruleProvenance(state, renderCell(state, facts, layout).iptables, resources);
    const live = liveDataplane((view as CellView).dump, sourceOf, options.fromDump === undefined ? 'live' : 'dump');
    if (!live.ok) {
      printError(live.error);
      return 1;
    }
    dataplane = live.value;
    wireguardAddress = addressOn(dataplane.routing, layout.wireguardInterface);
  }
  return explainConnection(options, state, layout, dataplane, { wireguardAddress, apiIp: facts.apiIp });
}

function explainConnection(
  options: ExplainOptions,
  state: DesiredState,
  layout: LayoutConfig,
  dataplane: Dataplane,
  addresses: { wireguardAddress: string | null; apiIp: string | null },
): number {
  const ctx = endpointContext(state, layout, dataplane.routing, addresses);
  const query = resolveQuery({ from: options.from, to: options.to, port: options.port, proto: options.proto }, ctx);
  if (!query.ok) {
    printError(escapeControl(query.error));
    return 1;
  }
  const result = evaluateConnection(dataplane, query.value.packet, query.value.intent);
  const rules = options.desired ? 'desired' : options.fromDump === undefined ? 'live' : `saved (${options.fromDump})`;
  const backends = dataplane.rulesets.map((r) => ({ name: r.name, empty: holdsNoRules(r.iptables) }));
  const explanation = { result, fromLabel: query.value.fromLabel, toLabel: query.value.toLabel, rules, backends };
  process.stdout.write(
    options.json ? `${JSON.stringify(explanationToJson(explanation), null, 2)}\n` : formatExplanationText(explanation),
  );
  return 0;
}

/** `--to dns:NAME`: the Corefile's acl blocks, in CoreDNS's order, for a query from the source. */
function explainDns(options: ExplainOptions, state: DesiredState, liveCorefile: string | null): number {
  const text = options.desired ? renderCorefile(state) : liveCorefile;
  if (text === null) {
    printError('no Corefile to read');
    return 1;
  }
  const corefile = parseCorefile(text);
  if (!corefile.ok) {
    printError(`Corefile: ${corefile.error}`);
    return 1;
  }
  const raw = options.to.slice(4);
  const name = raw.includes('.') ? raw : `${raw}.${state.cell.domain}`;
  const peer = state.peers.find((p) => p.name === options.from);
  const source = peer?.ip ?? (parseIPv4(options.from) !== null ? options.from : null);
  if (source === null) {
    printError(`from: ${escapeControl(JSON.stringify(options.from))} is no peer or IPv4 address`);
    return 1;
  }
  const verdict = evaluateAcl(corefile.value, name, source);
  if (typeof verdict !== 'string') {
    printError(`Corefile: ${verdict.error}`);
    return 1;
  }
  const answered = verdict === 'allow';
  if (options.json)
    process.stdout.write(
      `${JSON.stringify({ from: options.from, source, query: name, verdict: answered ? 'accept' : 'drop', acl: verdict, reaches: answered })}\n`,
    );
  else
    process.stdout.write(
      `${escapeControl(options.from)} (${source}) → DNS ${escapeControl(name)}: acl ${verdict}; ${answered ? 'answered' : 'refused'} (the ${options.desired ? 'rendered' : 'live'} Corefile's acl blocks, in CoreDNS's order)\n`,
    );
  return 0;
}
