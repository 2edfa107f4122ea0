import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { validateState } from '../../../src/load/validate-state.js';
import { renderCell } from '../../../src/render/render-cell.js';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import type { DesiredState } from '../../../src/model/desired-state.js';
import { seedCommands } from '../../../src/bench/seed-commands.js';
import { marginalCosts, ratio, summarize } from '../../../src/bench/stats.js';
import {
  changedPeerFile,
  PEER_SUBNET,
  syntheticStateFiles,
  type CellSize,
} from '../../../src/bench/synthetic-state.js';
import { renderChart, tickStep } from '../../../src/bench/render-chart.js';
import { stateFileText } from '../../../src/bench/write-state-dir.js';
import { replaceSummary, SUMMARY_END, SUMMARY_START } from '../../../src/bench/readme-summary.js';

function load(size: CellSize): DesiredState {
  const loaded = validateState(syntheticStateFiles(size).map((f) => ({ file: f.path, text: stateFileText(f) })));
  expect(loaded.issues).toEqual([]);
  if (loaded.state === null) throw new Error('no state');
  return loaded.state;
}

describe('synthetic cells', () => {
  it('validate as the loader sees them, with varied access, routed peers and disjoint link subnets', () => {
    const state = load({ peers: 1000, links: 100 });
    expect(state.cell.peer_subnet).toBe(PEER_SUBNET);
    expect(state.peers).toHaveLength(1000);
    expect(state.links).toHaveLength(100);
    expect(new Set(state.links.map((l) => l.vpn_subnet)).size).toBe(100);
    const routed = state.peers.filter((p) => p.route_via !== null);
    expect(routed.length).toBe(100);
    expect(state.peers.filter((p) => !p.internet_access).length).toBeGreaterThan(300);
    expect(state.peers.filter((p) => !p.peer_access).length).toBe(250);
    expect(new Set(state.peers.map((p) => p.service_access.join())).size).toBe(16);
    expect(state.links.some((l) => l.remote_exit_relay_active)).toBe(true);
  });

  it('fits 5,000 peers in the /16 and is the same every time', () => {
    const a = syntheticStateFiles({ peers: 5000, links: 10 });
    expect(a).toEqual(syntheticStateFiles({ peers: 5000, links: 10 }));
    expect(load({ peers: 5000, links: 10 }).peers.at(-1)?.ip).toBe('10.8.19.137');
  });

  it('changes one peer: the middle one, with its internet access flipped', () => {
    const size = { peers: 100, links: 10 };
    const change = changedPeerFile(size);
    const before = syntheticStateFiles(size).find((f) => f.path === change.path);
    expect(change.path).toBe('peers/peer-50.json');
    expect(change.content['internet_access']).toBe(!before?.content['internet_access']);
    expect({ ...change.content, internet_access: before?.content['internet_access'] }).toEqual(before?.content);
  });

  it('rejects sizes it cannot express', () => {
    expect(() => syntheticStateFiles({ peers: 70_000, links: 0 })).toThrow(/peers/);
    expect(() => syntheticStateFiles({ peers: 1, links: 300 })).toThrow(/links/);
  });
});

describe("the seed's commands", () => {
  it('run one iptables process per rule, one iptables-save per owner, as many rules as we render', () => {
    const state = load({ peers: 100, links: 10 });
    const commands = seedCommands(state, '172.20.0.3');
    const saves = commands.filter((c) => c[0] === 'iptables-save').length;
    const inserts = commands.filter((c) => c.slice(0, 3).join(' ') === 'iptables -I FORWARD');
    expect(saves).toBe(110);
    expect(saves + inserts.length).toBe(commands.length);
    const filter = renderCell(state, { apiIp: '172.20.0.3' }, DEFAULT_LAYOUT).iptables.filter;
    const ownerRules = filter.chains.filter((c) => c.name !== 'PIC-FORWARD').reduce((n, c) => n + c.rules.length, 0);
    expect(inserts.length).toBe(ownerRules);
  });
});

describe('stats', () => {
  it('summarizes with the median of an odd or even count', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, runs: 3 });
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
    expect(() => summarize([])).toThrow();
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNull();
  });

  it('gives equal per-unit costs for linear growth and growing ones for quadratic growth', () => {
    const linear = marginalCosts([
      { x: 5000, y: 5010 },
      { x: 100, y: 110 },
      { x: 1000, y: 1010 },
    ]);
    expect(linear).toEqual([
      { from: 100, to: 1000, perUnit: 1 },
      { from: 1000, to: 5000, perUnit: 1 },
    ]);
    const quadratic = marginalCosts([100, 1000, 5000].map((x) => ({ x, y: x * x })));
    expect((quadratic[1]?.perUnit ?? 0) / (quadratic[0]?.perUnit ?? 1)).toBeGreaterThan(5);
  });
});

describe('chart', () => {
  it('picks round tick steps', () => {
    expect(tickStep(5000)).toBe(1000);
    expect(tickStep(1234)).toBe(500);
    expect(tickStep(0)).toBe(1);
  });

  it('draws one line per scenario and link count', () => {
    const s = { median: 10, min: 9, max: 11, runs: 3 };
    const size = (peers: number, links: number) => ({
      peers,
      links,
      rules: 1,
      floor: s,
      floorRestoreBytes: 1,
      full: s,
      fullPhases: { observeMs: 1, planMs: 1, applyMs: 1, verifyMs: 1 },
      fullExecs: 9,
      fullRestoreBytes: 1,
      noop: s,
      noopExecs: 3,
      noopWrites: { restores: 0, ipBatches: 0, fileWrites: 0, signals: 0 },
      observe: s,
      change: {
        latency: s,
        pass: s,
        phases: { observeMs: 1, planMs: 1, applyMs: 1, verifyMs: 1 },
        restoreLinesMax: 7,
        restoreBytesMax: 1,
        chainsTouched: [],
        expectedChain: '',
        restoreLinesBound: 20,
        execsMax: 5,
        startupMs: 1,
      },
      docker: null,
      memory: { peakRssMB: 1, rssMB: 1 },
    });
    const svg = renderChart([size(10, 10), size(100, 10), size(10, 100), size(100, 100)], 'test');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(10);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(6);
  });
});

describe('README summary', () => {
  it('replaces only the text between the markers, and leaves a README without them alone', () => {
    const readme = `# x\n\nbefore\n${SUMMARY_START}\nold table\n${SUMMARY_END}\nafter\n`;
    expect(replaceSummary(readme, 'new table')).toBe(
      `# x\n\nbefore\n${SUMMARY_START}\nnew table\n${SUMMARY_END}\nafter\n`,
    );
    expect(replaceSummary(replaceSummary(readme, 'new table') ?? '', 'newer')).toBe(
      `# x\n\nbefore\n${SUMMARY_START}\nnewer\n${SUMMARY_END}\nafter\n`,
    );
    expect(replaceSummary('# no markers\n', 'table')).toBeNull();
    expect(replaceSummary(`${SUMMARY_END}\n${SUMMARY_START}\n`, 'table')).toBeNull();
  });

  it('the README carries the markers, so a full run can update it', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(replaceSummary(readme, 'table')).not.toBeNull();
  });
});
