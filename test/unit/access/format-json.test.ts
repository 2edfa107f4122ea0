import { describe, expect, it } from 'vitest';
import type { ComparedCell } from '../../../src/access/access-matrix.js';
import type { Leg, PathStep } from '../../../src/access/access-types.js';
import { matrixToJson } from '../../../src/access/format-access-matrix.js';
import { explanationToJson } from '../../../src/access/format-explanation.js';

/** The rule of a step as both JSON outputs name it, in their key order; explain adds the step's action. */
const jumpRule = {
  ruleset: 'live',
  table: 'filter',
  chain: 'FORWARD',
  index: 3,
  rule: '-m comment --comment "pic:jump" -j PIC-FORWARD',
  owner: 'pic',
  source: null,
} as const;
const dropRule = {
  ruleset: 'live',
  table: 'filter',
  chain: 'PIC-PEER-10-0-0-3',
  index: 2,
  rule: '-d 172.20.0.22/32 -j DROP',
  owner: 'pic',
  source: { file: 'peers/bob.json', pointer: '/service_access' },
} as const;
const jump: PathStep = { ...jumpRule, action: 'jump PIC-FORWARD' };
const drop: PathStep = { ...dropRule, action: 'DROP' };
const noEgress = { dev: '', via: null, table: null, rulePriority: null };
const dropped: Leg = {
  verdict: 'drop',
  decidedBy: drop,
  path: [jump, drop],
  out: null,
  egress: noEgress,
  reason: null,
};

describe('the JSON of the access formatters', () => {
  it('explain --json: every step is its rule and what it did, in that key order', () => {
    const json = explanationToJson({
      result: {
        blindSpots: [],
        packet: { src: '10.0.0.3', dst: '172.20.0.22', proto: 'tcp', dport: 443, sport: null, inIface: 'wg0' },
        first: dropped,
        reply: { ...dropped, verdict: 'accept', decidedBy: null, path: [] },
        reaches: false,
        reason: 'dropped',
      },
      fromLabel: 'bob',
      toLabel: 'files',
      rules: 'live',
    });
    expect(json.decided_by).toEqual({ ...dropRule, action: 'DROP' });
    expect(Object.keys(json.decided_by as object)).toEqual([...Object.keys(dropRule), 'action']);
    expect(json.path).toEqual([
      { ...jumpRule, action: 'jump PIC-FORWARD' },
      { ...dropRule, action: 'DROP' },
    ]);
    expect(json.reply).toMatchObject({ decided_by: null, path: [] });
  });

  it('access --json: the deciding rule of a cell without the action, null when routing decided', () => {
    const cell = (to: string, decidedBy: PathStep | null): ComparedCell => ({
      from: 'bob',
      to,
      reaches: false,
      decidedBy,
      reason: 'dropped',
      desired: false,
      differs: false,
    });
    const json = matrixToJson({
      axes: { rows: ['bob'], columns: ['files', 'internet'] },
      cells: [cell('files', drop), cell('internet', null)],
      rules: 'live',
      rulesets: ['live'],
      otherBackend: null,
    });
    const cells = json.cells as { decided_by: unknown }[];
    expect(cells.map((c) => c.decided_by)).toEqual([dropRule, null]);
    expect(Object.keys(cells[0]?.decided_by as object)).toEqual(Object.keys(dropRule));
  });
});
