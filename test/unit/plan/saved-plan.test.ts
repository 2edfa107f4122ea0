import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import type { ObservedCell } from '../../../src/model/observed-cell.js';
import type { Plan } from '../../../src/model/plan.js';
import { cellFingerprint } from '../../../src/plan/cell-fingerprint.js';
import {
  buildPlanFile,
  canonicalJson,
  movedEntries,
  parsePlanFile,
  planFileText,
  planOf,
} from '../../../src/plan/plan-file.js';
import { jumpRule, observedTables } from './fixtures.js';

/** The part text itself as its "hash": what moved is readable in the assertions. */
const plainHash = (text: string): string => text;
const hex = (c: string): string => c.repeat(64);

const JUMP = jumpRule('PIC-FORWARD');
const ours = { table: '1234', dst: 'default', gateway: '10.0.1.1', dev: 'wg0', protocol: 252 };
const kernel = { table: '254', dst: '172.20.0.0/16', gateway: '', dev: 'eth0', protocol: 2 };

function cell(filter: Record<string, readonly string[]>, routes = [ours, kernel]): ObservedCell {
  return {
    iptables: { ok: true, value: observedTables({ filter }) },
    policyRules: { ok: true, value: [] },
    routes: { ok: true, value: routes },
    addresses: { ok: true, value: [{ address: '172.20.0.21', prefixlen: 16, label: 'eth0:pic' }] },
    corefile: { ok: true, value: '. {\n}\n' },
  };
}

const base = cell({ FORWARD: [JUMP], 'PIC-FORWARD': ['-j ACCEPT'] });
const facts = { apiIp: '172.20.0.3' };
const moved = (observed: ObservedCell): string[] =>
  movedEntries(
    cellFingerprint(base, facts, DEFAULT_LAYOUT, plainHash),
    cellFingerprint(observed, facts, DEFAULT_LAYOUT, plainHash),
  );

describe('cellFingerprint', () => {
  it('moves with a rule in a PIC chain, a new PIC chain, and a rule inserted above our jump', () => {
    expect(moved(cell({ FORWARD: [JUMP], 'PIC-FORWARD': ['-j ACCEPT', '-j DROP'] }))).toEqual(['filter PIC-FORWARD']);
    expect(moved(cell({ FORWARD: [JUMP], 'PIC-FORWARD': ['-j ACCEPT'], 'PIC-X': [] }))).toEqual(['filter PIC-X (new)']);
    expect(moved(cell({ FORWARD: ['-s 192.0.2.1/32 -j DROP', JUMP], 'PIC-FORWARD': ['-j ACCEPT'] }))).toEqual([
      'filter FORWARD',
    ]);
  });

  it('stays for what the plan never reads: a foreign rule below our jump, a foreign chain, a kernel route in main', () => {
    expect(
      moved(cell({ FORWARD: [JUMP, '-s 192.0.2.1/32 -j DROP'], 'PIC-FORWARD': ['-j ACCEPT'], DOCKER: [] })),
    ).toEqual([]);
    expect(moved(cell({ FORWARD: [JUMP], 'PIC-FORWARD': ['-j ACCEPT'] }, [ours, { ...kernel, dev: 'eth1' }]))).toEqual(
      [],
    );
  });

  it('moves with our routes, the VIPs, the Corefile, the api address, and a part that could not be read', () => {
    expect(moved(cell({ FORWARD: [JUMP], 'PIC-FORWARD': ['-j ACCEPT'] }, [kernel]))).toEqual(['routes']);
    expect(moved({ ...base, addresses: { ok: true, value: [] } })).toEqual(['VIPs']);
    expect(moved({ ...base, corefile: { ok: true, value: null } })).toEqual(['Corefile']);
    expect(moved({ ...base, policyRules: { ok: false, error: 'exit 1' } })).toEqual(['policy rules']);
    expect(
      movedEntries(
        cellFingerprint(base, facts, DEFAULT_LAYOUT, plainHash),
        cellFingerprint(base, { apiIp: '172.20.0.9' }, DEFAULT_LAYOUT, plainHash),
      ),
    ).toEqual(['api address']);
  });
});

const plan: Plan = {
  actions: [
    { kind: 'create-chain', table: 'filter', chain: 'PIC-FORWARD', rules: ['-j ACCEPT'], reason: 'chain missing' },
    {
      kind: 'delete-route',
      route: { table: '1234', dst: 'default', gateway: '10.0.1.1', dev: 'wg0' },
      reason: 'legacy',
      protocol: null,
    },
    { kind: 'write-corefile', text: '. {\n}\n', previous: null, reason: 'Corefile missing' },
  ],
  skipped: [],
};
const file = buildPlanFile({
  plan,
  created: '2026-12-08T01:00:00.000Z',
  stateDir: '/srv/state',
  stateFiles: { 'cell.json': hex('a'), 'peers/bob.json': hex('b') },
  hash: () => hex('c'),
  config: { 'targets.wireguard': 'netns:x' },
  live: { 'filter PIC-FORWARD': hex('d') },
});

describe('the plan file', () => {
  it('reads back what was written, and its actions are the plan', () => {
    const read = parsePlanFile(planFileText(file), 'cell.plan');
    expect(read).toEqual({ ok: true, file });
    if (read.ok) expect(planOf(read.file)).toEqual(plan);
  });

  it('names the file and the field of what is wrong, on one line', () => {
    const text = (change: (json: Record<string, unknown>) => void): string => {
      const json = JSON.parse(planFileText(file)) as Record<string, unknown>;
      change(json);
      return JSON.stringify(json);
    };
    const cases: [string, RegExp][] = [
      ['{', /^p: \/: not a plan file: .+$/],
      ['[]', /^p: \/format: not a plan file \(expected "pic-reconciler-plan"\)$/],
      [text((j) => delete j.live), /^p: \/live: required field is missing$/],
      [text((j) => ((j.state as { hash: string }).hash = 'x')), /^p: \/state\/hash: expected a sha256 in hex$/],
      [
        text((j) => ((j.plan as { actions: { rules: string[] }[] }).actions[0]!.rules = ['-j ACCEPT\n-A INPUT'])),
        /^p: \/plan\/actions\/0\/rules\/0: expected one line without control characters$/,
      ],
      [
        text((j) => ((j.plan as { actions: { kind: string }[] }).actions[1]!.kind = 'run-shell')),
        /^p: \/plan\/actions\/1\/kind: .+$/,
      ],
    ];
    for (const [input, error] of cases) {
      const read = parsePlanFile(input, 'p');
      expect(read.ok).toBe(false);
      if (!read.ok) expect(read.error).toMatch(error);
    }
  });

  it('names moved entries, new and gone ones marked; action lists compare whatever their key order', () => {
    expect(movedEntries({ a: '1', b: '2', c: '3' }, { a: '1', b: '9', d: '4' })).toEqual(['b', 'c (gone)', 'd (new)']);
    expect(canonicalJson({ b: [1, { y: 2, x: undefined }], a: 'z' })).toBe(canonicalJson({ a: 'z', b: [1, { y: 2 }] }));
  });
});
