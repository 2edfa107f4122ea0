/**
 * The state's AccessTests, run by the packet model over the rendered rules: the gate that
 * keeps a state whose tests fail from being applied (validate, plan, apply and run).
 */
import { stateIssue, type StateIssue } from '../text/state-issue.js';
import type { AccessTest, DesiredState } from '../model/desired-state.js';
import type { LayoutConfig } from '../model/facts.js';
import { formatIPv4, parseCidr } from '../model/ipv4.js';
import type { ConnectionResult, PathStep, RuleSource } from './access-types.js';
import { assumedWireguardAddress, desiredDataplane } from './build-dataplane.js';
import { describeStep, evaluateConnection } from './evaluate-connection.js';
import { resolveQuery } from './resolve-endpoints.js';
import { tableMatch, parseAddress } from './route-lookup.js';
import type { ResourceSources } from './rule-provenance.js';

/** Where the api is assumed to be when its live address is not known (validate runs offline). */
export function assumedApiAddress(state: DesiredState): string {
  return formatIPv4((parseCidr(state.cell.ip_range)?.network ?? 0) + 3);
}

function where(step: PathStep | null, reason: string | null): string {
  if (step === null) return `by routing (${reason ?? 'no route'})`;
  const source = step.source === null ? '' : ` (${sourceText(step.source)})`;
  return `at ${describeStep(step)}${source}`;
}

function sourceText(source: RuleSource): string {
  return `${source.file} ${source.pointer === '' ? '/' : source.pointer}`;
}

/** What decided, in words: `accept at PIC-PEER-10-0-0-3 rule 3 (peers/bob.json /service_access/1)`. */
export function describeOutcome(result: ConnectionResult): string {
  const { first, reply } = result;
  if (result.reaches === null) return `cannot be evaluated: ${result.reason}`;
  if (first.verdict === 'drop') return `drop ${where(first.decidedBy, first.reason)}`;
  if (result.reaches) return `accept ${where(first.decidedBy, null)}`;
  if (reply === null) return `accept ${where(first.decidedBy, null)}, but ${result.reason}`;
  return `drop the reply ${reply.decidedBy === null || reply.verdict === 'accept' ? `(${reply.reason ?? 'no route back'})` : where(reply.decidedBy, reply.reason)}`;
}

function checkOne(test: AccessTest, evaluate: (t: AccessTest) => ConnectionResult | string): string | null {
  const result = evaluate(test);
  const label = `${test.from} → ${test.to}${test.port === undefined ? '' : `:${test.port}`}`;
  if (typeof result === 'string') return `${label}: ${result}`;
  const passes = result.reaches === (test.expect === 'allow');
  return passes ? null : `${label}: expected ${test.expect}, rendered rules ${describeOutcome(result)}`;
}

// The loader hands back the same frozen state while nothing changed: a resync does not evaluate again.
const remembered = new WeakMap<DesiredState, { readonly key: string; readonly issues: StateIssue[] }>();

/** Every failing test as a `file: /pointer/expect: message` issue; [] when all pass or there are none. */
export function failingAccessTests(
  state: DesiredState,
  resources: ResourceSources,
  layout: LayoutConfig,
  apiIp: string | null = null,
): StateIssue[] {
  const tests = state.tests ?? [];
  if (tests.length === 0) return [];
  const key = JSON.stringify([layout, apiIp, [...resources]]);
  const known = remembered.get(state);
  if (known !== undefined && known.key === key) return known.issues;
  const issues = evaluateTests(state, tests, resources, layout, apiIp);
  if (Object.isFrozen(state)) remembered.set(state, { key, issues });
  return issues;
}

function evaluateTests(
  state: DesiredState,
  tests: readonly AccessTest[],
  resources: ResourceSources,
  layout: LayoutConfig,
  apiIp: string | null,
): StateIssue[] {
  const api = apiIp ?? assumedApiAddress(state);
  const dataplane = desiredDataplane(state, { apiIp: api }, layout, resources);
  const ctx = {
    state,
    wireguardInterface: layout.wireguardInterface,
    apiPort: layout.apiPort,
    wireguardAddress: assumedWireguardAddress(state),
    apiIp: api,
    ifaceFor: (ip: string) => tableMatch(dataplane.routing, 'main', parseAddress(ip))?.dev || layout.wireguardInterface,
  };
  const evaluate = (test: AccessTest): ConnectionResult | string => {
    const query = resolveQuery(test, ctx);
    return query.ok ? evaluateConnection(dataplane, query.value.packet, query.value.intent) : query.error;
  };
  return tests.flatMap((test) => {
    const message = checkOne(test, evaluate);
    if (message === null) return [];
    const source = resources.get(`AccessTest/${test.name}`);
    return [stateIssue(source?.file ?? '.', `${source?.pointer ?? ''}/expect`, message)];
  });
}
