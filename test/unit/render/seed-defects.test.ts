import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { ruleComment } from '../../../src/model/iptables-rule.js';
import { parseCorefile, type Corefile } from '../../../src/parse/parse-corefile.js';
import { renderCell } from '../../../src/render/render-cell.js';
import { buildState, EXAMPLE_STATE } from '../../helpers/build-state.js';
import { evaluateAcl } from '../../../src/access/evaluate-dns-acl.js';
import type { DesiredState } from '../../../src/model/desired-state.js';
import { walkFilter } from './walk-filter.js';

const API_IP = '172.20.0.3';
const render = (state: DesiredState) => renderCell(state, { apiIp: API_IP }, DEFAULT_LAYOUT);

function parsed(text: string): Corefile {
  const result = parseCorefile(text);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** The seed's _build_acl_block and generate_corefile, ported verbatim (one acl per blocked peer). */
function seedCorefile(state: DesiredState): string {
  const lines: string[] = [];
  for (const service of state.cell.services) {
    for (const peer of state.peers.filter((p) => !p.service_access.includes(service.name))) {
      lines.push(`    acl ${service.name}.${state.cell.domain}. {`, `        block net ${peer.ip}/32`);
      lines.push('        allow net 0.0.0.0/0', '        allow net ::/0', '    }');
    }
  }
  const d = state.cell.domain;
  return `. {\n    forward . 8.8.8.8 1.1.1.1\n    cache\n    log\n    health\n}\n${d} {\n    file /data/${d}.zone\n    log\n${lines.join('\n')}\n}\n\n`;
}

// Three peers blocked from calendar, one from files, two with full access.
const ACL_STATE = buildState({
  peers: [
    { ip: '10.0.0.2' },
    { ip: '10.0.0.3', service_access: ['files', 'mail', 'webdav'] },
    { ip: '10.0.0.4', service_access: ['mail'] },
    { ip: '10.0.0.5', service_access: ['files', 'webdav'] },
    { ip: '10.0.0.6' },
  ],
});

describe('§5.1 DNS acl refuses every blocked peer', () => {
  const corefile = parsed(render(ACL_STATE).corefile);

  it('refuses each blocked peer for its blocked services and allows everything else', () => {
    const blockedFromCalendar = ACL_STATE.peers.filter((p) => !p.service_access.includes('calendar'));
    expect(blockedFromCalendar).toHaveLength(3);
    for (const peer of ACL_STATE.peers) {
      for (const service of ACL_STATE.cell.services) {
        const expected = peer.service_access.includes(service.name) ? 'allow' : 'block';
        expect(evaluateAcl(corefile, `${service.name}.cell`, peer.ip), `${peer.ip} ${service.name}`).toBe(expected);
      }
      expect(evaluateAcl(corefile, 'cell', peer.ip)).toBe('allow');
      expect(evaluateAcl(corefile, 'example.org', peer.ip)).toBe('allow');
    }
    expect(evaluateAcl(corefile, 'calendar.cell', '10.0.0.99')).toBe('allow');
  });

  it('writes no allow policy at all', () => {
    expect(render(ACL_STATE).corefile).not.toMatch(/\ballow\b/);
  });

  it('the seed-style Corefile lets the second and third blocked peers through (the evaluator bites)', () => {
    const seed = parsed(seedCorefile(ACL_STATE));
    expect(evaluateAcl(seed, 'calendar.cell', '10.0.0.3')).toBe('block');
    expect(evaluateAcl(seed, 'calendar.cell', '10.0.0.4')).toBe('allow');
    expect(evaluateAcl(seed, 'calendar.cell', '10.0.0.5')).toBe('allow');
  });
});

describe('§5.2 the api DNAT only takes traffic addressed to the cell', () => {
  it('matches --dst-type LOCAL on every DNAT rule', () => {
    const rules = render(EXAMPLE_STATE).iptables.nat.chains.flatMap((c) => c.rules);
    const dnat = rules.filter((r) => r.includes('-j DNAT'));
    expect(dnat).toHaveLength(1);
    for (const rule of dnat) expect(rule).toContain('-m addrtype --dst-type LOCAL');
  });
});

describe('§5.3 no port-3000 hole in FORWARD', () => {
  const { filter } = render(EXAMPLE_STATE).iptables;

  it('has no ACCEPT for -i wg0 port 3000', () => {
    const rules = [...filter.jumps.map((j) => j.rule), ...filter.chains.flatMap((c) => c.rules)];
    expect(rules.filter((r) => r.includes('-i wg0') && r.includes('--dport 3000'))).toEqual([]);
  });

  it('drops a peer without internet access connecting to port 3000 of any outside host', () => {
    for (const src of ['10.0.0.3', '10.0.0.10']) {
      expect(walkFilter(filter, { src, dst: '93.184.216.34', in: 'wg0', out: 'eth0', proto: 'tcp', dport: 3000 })).toBe(
        'DROP',
      );
    }
  });

  it('still lets a linked cell reach the api, and only the api', () => {
    const packet = { src: '10.0.1.7', in: 'wg0', out: 'eth0', proto: 'tcp' as const, dport: 3000 };
    expect(walkFilter(filter, { ...packet, dst: API_IP })).toBe('ACCEPT');
    expect(walkFilter(filter, { ...packet, dst: '172.20.0.9' })).toBe('DROP');
  });
});

describe('§5.4 unknown sources in the peer subnet', () => {
  const packet = { src: '10.0.0.99', dst: '1.1.1.1', in: 'wg0', out: 'eth0' };

  it('are dropped when unknown_peers is drop', () => {
    expect(walkFilter(render(EXAMPLE_STATE).iptables.filter, packet)).toBe('DROP');
  });

  it('fall through to the built-in policy when unknown_peers is accept', () => {
    const state = buildState({ cell: { unknown_peers: 'accept' }, peers: [{ ip: '10.0.0.2' }] });
    expect(walkFilter(render(state).iptables.filter, packet)).toBe('policy');
  });

  it('do not shadow known peers', () => {
    expect(walkFilter(render(EXAMPLE_STATE).iptables.filter, { ...packet, src: '10.0.0.2' })).toBe('ACCEPT');
  });
});

describe('§5.5 subnets and prefixes come from the state; nat rules are tagged', () => {
  const state = buildState({
    cell: { peer_subnet: '10.8.0.0/16', ip_range: '192.168.50.0/24' },
    peers: [{ ip: '10.8.3.2', peer_access: false, internet_access: false }],
  });
  const rendered = render(state);
  const filterRules = rendered.iptables.filter.chains.flatMap((c) => c.rules);

  it('puts the VIPs in ip_range with its prefix length', () => {
    expect(rendered.addresses.map((a) => `${a.address}/${a.prefixlen}`)).toEqual([
      '192.168.50.21/24',
      '192.168.50.22/24',
      '192.168.50.23/24',
      '192.168.50.24/24',
    ]);
  });

  it('uses peer_subnet for peer-to-peer and unknown-peer rules, and never 10.0.0.0/24', () => {
    expect(filterRules.some((r) => r.startsWith('-d 10.8.0.0/16 ') && r.endsWith('-j DROP'))).toBe(true);
    expect(filterRules.some((r) => r.startsWith('-s 10.8.0.0/16 ') && r.endsWith('-j DROP'))).toBe(true);
    expect(filterRules.join('\n')).not.toContain('10.0.0.0/24');
    expect(walkFilter(rendered.iptables.filter, { src: '10.8.3.2', dst: '10.8.9.9', in: 'wg0', out: 'wg0' })).toBe(
      'DROP',
    );
    expect(
      walkFilter(rendered.iptables.filter, { src: '10.8.3.2', dst: '192.168.50.22', in: 'wg0', out: 'eth0' }),
    ).toBe('ACCEPT');
  });

  it('tags every nat rule', () => {
    const natRules = rendered.iptables.nat.chains.flatMap((c) => c.rules);
    expect(natRules).toHaveLength(2);
    expect(natRules.map(ruleComment)).toEqual(['pic-api-dnat', 'pic-api-masquerade']);
  });
});

describe('§5.7 route_via peers consult main before the exit table', () => {
  const state = buildState({
    peers: [{ ip: '10.0.0.2', route_via: 'paris' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4', route_via: 'lyon' }],
    links: [
      { name: 'paris', vpn_subnet: '10.0.1.0/24', wg_ip: '10.0.1.1' },
      { name: 'lyon', vpn_subnet: '10.0.2.0/24', wg_ip: '10.0.2.1' },
    ],
  });
  const { policyRules, routes } = render(state);

  it('gives each routed peer a suppress_prefixlength 0 lookup of main at a lower priority than its exit table', () => {
    for (const [ip, gateway] of [
      ['10.0.0.2', '10.0.1.1'],
      ['10.0.0.4', '10.0.2.1'],
    ] as const) {
      const mine = policyRules.filter((r) => r.src === ip);
      const main = mine.find((r) => r.table === 'main');
      const exit = mine.find((r) => r.table !== 'main');
      expect(main?.suppressPrefixlength).toBe(0);
      expect(exit?.suppressPrefixlength).toBeNull();
      expect(main?.priority ?? Infinity).toBeLessThan(exit?.priority ?? -Infinity);
      expect(routes.find((r) => r.table === exit?.table)).toEqual({
        table: exit?.table,
        dst: 'default',
        gateway,
        dev: 'wg0',
      });
    }
    expect(policyRules.filter((r) => r.src === '10.0.0.3')).toEqual([]);
    expect(routes).toHaveLength(2);
  });
});
