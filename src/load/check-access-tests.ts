/**
 * AccessTests against the rest of the state: each names existing peers, services and links,
 * and each name is used once. A test is always the one blamed: it depends on the resources
 * it names, never the other way round.
 */
import type { AccessTest, Cell, CellLink, Peer } from '../model/desired-state.js';
import { parseIPv4 } from '../model/ipv4.js';
import type { Candidate, Finding } from './blame-conflict.js';
import { stateIssue } from '../text/state-issue.js';

function isAddress(text: string, withPort: boolean): boolean {
  const [ip = '', port, extra] = text.split(':');
  if (parseIPv4(ip) === null || extra !== undefined) return false;
  return port === undefined || (withPort && Number(port) >= 1 && Number(port) <= 65535);
}

function sourceProblem(from: string, peers: ReadonlySet<string>, links: ReadonlySet<string>): string | null {
  if (from.startsWith('cell:')) return links.has(from.slice(5)) ? null : `no CellLink named ${from.slice(5)}`;
  if (isAddress(from, false) || peers.has(from)) return null;
  return `no Peer named ${from} (from is a peer, cell:<link> or an IPv4 address)`;
}

function destinationProblem(
  to: string,
  cell: Cell,
  peers: ReadonlySet<string>,
  links: ReadonlySet<string>,
): string | null {
  if (to.startsWith('cell:')) return links.has(to.slice(5)) ? null : `no CellLink named ${to.slice(5)}`;
  if (
    to === 'api' ||
    to === 'internet' ||
    isAddress(to, true) ||
    peers.has(to) ||
    cell.services.some((s) => s.name === to)
  )
    return null;
  return `no service or Peer named ${to} (to is a service, a peer, api, internet, cell:<link> or IPv4[:port])`;
}

export function checkAccessTests(
  cell: Candidate<Cell>,
  peers: readonly Candidate<Peer>[],
  links: readonly Candidate<CellLink>[],
  tests: readonly Candidate<AccessTest>[],
): Finding[] {
  const peerNames = new Set(peers.map((p) => p.resource.name));
  const linkNames = new Set(links.map((l) => l.resource.name));
  const findings: Finding[] = [];
  const seen = new Map<string, Candidate<AccessTest>>();
  for (const test of [...tests].sort((a, b) => a.order - b.order)) {
    const at = (field: string, message: string): Finding => ({
      blamed: test,
      issue: stateIssue(test.file, `${test.pointer}/${field}`, message),
    });
    const first = seen.get(test.resource.name);
    if (first !== undefined) findings.push(at('name', `AccessTest ${test.resource.name} is also in ${first.file}`));
    else seen.set(test.resource.name, test);
    const from = sourceProblem(test.resource.from, peerNames, linkNames);
    if (from !== null) findings.push(at('from', from));
    const to = destinationProblem(test.resource.to, cell.resource, peerNames, linkNames);
    if (to !== null) findings.push(at('to', to));
  }
  return findings;
}
