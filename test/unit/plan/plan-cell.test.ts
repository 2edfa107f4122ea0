import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { NOT_READ, type ObservedCell } from '../../../src/model/observed-cell.js';
import type { RenderedCell } from '../../../src/model/rendered-cell.js';
import { parseIptablesSave } from '../../../src/parse/parse-iptables-save.js';
import { formatPlanText } from '../../../src/plan/format-plan.js';
import { planCell } from '../../../src/plan/plan-cell.js';
import { claimsOf } from '../../../src/plan/plan-vip-claims.js';
import { buildState } from '../../helpers/build-state.js';
import { desiredModel, jumpRule, observedTables } from './fixtures.js';

const desired: RenderedCell = {
  peerSubnet: '10.0.0.0/24',
  iptables: desiredModel({
    filter: { chains: { 'PIC-FORWARD': ['-j ACCEPT'] }, jumps: [{ chain: 'FORWARD', rule: jumpRule('PIC-FORWARD') }] },
  }),
  policyRules: [{ priority: 10000, src: '10.0.0.4', table: 'main', suppressPrefixlength: 0 }],
  routes: [{ table: '1234', dst: 'default', gateway: '10.0.1.1', dev: 'wg0' }],
  addresses: [{ address: '172.20.0.21', prefixlen: 16, label: 'eth0:pic' }],
  corefile: '. {\n}\n',
};

const empty: ObservedCell = {
  iptables: { ok: true, value: observedTables({}) },
  policyRules: { ok: true, value: [] },
  routes: { ok: true, value: [] },
  addresses: { ok: true, value: [] },
  corefile: { ok: true, value: null },
};

describe('planCell', () => {
  it('plans every part in a fixed order', () => {
    const plan = planCell(desired, empty, DEFAULT_LAYOUT);
    expect(plan.skipped).toEqual([]);
    expect(plan.actions.map((a) => a.kind)).toEqual([
      'create-chain',
      'insert-jump',
      'add-policy-rule',
      'add-route',
      'add-address',
      'write-corefile',
    ]);
  });

  it('skips parts that could not be observed and plans no change for them', () => {
    const observed: ObservedCell = {
      ...empty,
      iptables: { ok: false, error: 'docker:cell-wireguard: container not running' },
      addresses: { ok: false, error: 'docker:cell-caddy: exit 1' },
    };
    const plan = planCell(desired, observed, DEFAULT_LAYOUT);
    expect(plan.skipped).toEqual([
      { part: 'iptables', error: 'docker:cell-wireguard: container not running' },
      { part: 'addresses', error: 'docker:cell-caddy: exit 1' },
    ]);
    expect(plan.actions.map((a) => a.kind)).toEqual(['add-policy-rule', 'add-route', 'write-corefile']);
  });

  it('marks a part left unread on purpose apart from one that failed (a failed read names its error)', () => {
    const observed: ObservedCell = {
      ...empty,
      iptables: NOT_READ,
      addresses: { ok: false, error: 'not observed: exit 1' },
    };
    expect(planCell(desired, observed, DEFAULT_LAYOUT).skipped).toEqual([
      { part: 'iptables', error: 'not observed in this pass', unread: true },
      { part: 'addresses', error: 'not observed: exit 1' },
    ]);
  });

  it('is empty for a converged cell', () => {
    const converged: ObservedCell = {
      iptables: {
        ok: true,
        value: observedTables({ filter: { FORWARD: [jumpRule('PIC-FORWARD')], 'PIC-FORWARD': ['-j ACCEPT'] } }),
      },
      policyRules: { ok: true, value: desired.policyRules.map((r) => ({ ...r, protocol: 252 })) },
      routes: { ok: true, value: desired.routes.map((r) => ({ ...r, protocol: 252 })) },
      addresses: { ok: true, value: [{ address: '172.20.0.21', prefixlen: 16, label: 'eth0' }] },
      corefile: { ok: true, value: desired.corefile },
    };
    expect(planCell(desired, converged, DEFAULT_LAYOUT)).toEqual({ actions: [], skipped: [] });
  });

  it('leaves an unreadable foreign rule as it is, with a warning, and still plans our chains', () => {
    const dump = parseIptablesSave(
      '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m comment --comment "x"y -j DROP\nCOMMIT\n',
    );
    if (!dump.ok) throw new Error(dump.error);
    const plan = planCell(desired, { ...empty, iptables: { ok: true, value: dump.value } }, DEFAULT_LAYOUT);
    expect(plan.skipped).toEqual([]);
    expect(plan.actions.map((a) => a.kind)).toContain('create-chain');
    expect(plan.warnings).toEqual([
      'table filter chain FORWARD: a foreign rule cannot be read (text right after a closing quote) and is left as it is: "-m comment --comment \\"x\\"y -j DROP"',
    ]);
    expect(formatPlanText(plan)).toContain('Left as they are');
  });

  it('plans nothing for a table whose own chain holds a rule it cannot read, and says so', () => {
    const dump = parseIptablesSave(
      '*filter\n:PIC-FORWARD - [0:0]\n-A PIC-FORWARD -m comment --comment "pic"x -j DROP\nCOMMIT\n*nat\n:PIC-X - [0:0]\nCOMMIT\n',
    );
    if (!dump.ok) throw new Error(dump.error);
    const plan = planCell(desired, { ...empty, iptables: { ok: true, value: dump.value } }, DEFAULT_LAYOUT);
    expect(plan.skipped).toEqual([
      {
        part: 'iptables filter',
        error: expect.stringMatching(
          /^table filter chain PIC-FORWARD: our rule cannot be read \(text right after a closing quote\).*nothing planned for table filter$/,
        ),
      },
    ]);
    // The other table is planned as usual: its stray chain goes.
    expect(plan.actions.filter((a) => 'table' in a).map((a) => [a.kind, 'table' in a && a.table])).toEqual([
      ['delete-chain', 'nat'],
    ]);
  });

  it('never deletes or rewrites a route of ours it cannot write exactly (multipath), and says what is held back', () => {
    const multipath = {
      table: '1234',
      dst: 'default',
      gateway: '',
      dev: '',
      protocol: 252,
      opaque: 'a multipath route (2 next hops)',
    };
    const other = {
      table: '1240',
      dst: '192.168.8.0/24',
      gateway: '',
      dev: '',
      protocol: 252,
      opaque: 'a multipath route (2 next hops)',
    };
    const plan = planCell(desired, { ...empty, routes: { ok: true, value: [multipath, other] } }, DEFAULT_LAYOUT);
    expect(plan.actions.filter((a) => a.kind.endsWith('-route'))).toEqual([]);
    expect(plan.skipped).toEqual([
      {
        part: 'route default table 1234',
        error:
          'route default table 1234: the live route there cannot be read exactly and is left as it is; route via 10.0.1.1 not applied',
      },
    ]);
    expect(plan.warnings).toEqual([
      'route default table 1234 (protocol 252): a multipath route (2 next hops), which the plan cannot write exactly, so it is left as it is',
      'route 192.168.8.0/24 table 1240 (protocol 252): a multipath route (2 next hops), which the plan cannot write exactly, so it is left as it is',
    ]);
    expect(formatPlanText(plan)).not.toMatch(/via {2}dev/);
  });

  it("refuses a VIP the api, or caddy's own primary address, already holds: a one-line error naming the service, no change for that VIP", () => {
    const vips: RenderedCell = {
      ...desired,
      addresses: ['172.20.0.10', '172.20.0.5', '172.20.0.21'].map((address) => ({
        address,
        prefixlen: 16,
        label: 'eth0:pic',
      })),
    };
    const live = [
      { address: '172.20.0.5', prefixlen: 16, label: 'eth0' },
      { address: '172.20.0.10', prefixlen: 16, label: 'eth0:pic', secondary: true as const },
    ];
    const services = [
      { name: 'calendar', vip: '172.20.0.10' },
      { name: 'files', vip: '172.20.0.5' },
      { name: 'mail', vip: '172.20.0.21' },
    ];
    const plan = planCell(vips, { ...empty, addresses: { ok: true, value: live } }, DEFAULT_LAYOUT, {
      services,
      taken: [{ address: '172.20.0.10', holder: "the api container's address" }],
    });
    expect(plan.skipped).toEqual([
      {
        part: 'service calendar',
        error: `service "calendar": VIP 172.20.0.10 is the api container's address; VIP not changed`,
      },
      {
        part: 'service files',
        error: `service "files": VIP 172.20.0.5 is caddy's own address on eth0; VIP not changed`,
      },
    ]);
    expect(plan.actions.filter((a) => a.kind.endsWith('-address'))).toEqual([
      {
        kind: 'add-address',
        dev: 'eth0',
        address: { address: '172.20.0.21', prefixlen: 16, label: 'eth0:pic' },
        reason: 'address missing',
      },
    ]);
  });

  it("claims the api's and the dns container's addresses from the facts, and nothing for an unknown one", () => {
    const state = buildState();
    expect(claimsOf(state, { apiIp: '172.20.0.3', dnsIp: '172.20.0.4' }).taken).toEqual([
      { address: '172.20.0.3', holder: "the api container's address" },
      { address: '172.20.0.4', holder: "the dns container's address" },
    ]);
    expect(claimsOf(state, { apiIp: null, dnsIp: null }).taken).toEqual([]);
  });

  it('uses the configured caddy interface for addresses', () => {
    const plan = planCell(desired, empty, { ...DEFAULT_LAYOUT, caddyInterface: 'ens4' });
    expect(plan.actions.find((a) => a.kind === 'add-address')).toMatchObject({ dev: 'ens4' });
  });
});
