import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import type { ObservedPolicyRule, ObservedRoute } from '../../../src/model/network.js';
import { compileIpBatch } from '../../../src/apply/ip-batch.js';
import { planLegacySeedRouting } from '../../../src/plan/legacy-seed-routing.js';

const rule = (over: Partial<ObservedPolicyRule>): ObservedPolicyRule => ({
  priority: 32765,
  src: '10.0.0.4',
  table: '200',
  suppressPrefixlength: null,
  protocol: null,
  ...over,
});
const PEERS = '10.0.0.0/24';
const route = (over: Partial<ObservedRoute>): ObservedRoute => ({
  table: '200',
  dst: 'default',
  gateway: '10.0.1.1',
  dev: 'wg0',
  protocol: 3,
  ...over,
});

describe('legacy seed route_via entries', () => {
  it('deletes the seed rule and its exit table route, with their own protocol', () => {
    const actions = planLegacySeedRouting([rule({})], [route({})], PEERS, DEFAULT_LAYOUT);
    expect(actions.map((a) => a.kind)).toEqual(['delete-policy-rule', 'delete-route']);
    expect(compileIpBatch(actions)?.text).toBe(
      'rule del priority 32765 from 10.0.0.4 lookup 200\nroute del default via 10.0.1.1 dev wg0 table 200 proto 3\n',
    );
  });

  it('leaves everything else alone: ours, main-table defaults, other devices, subnets, tables without a seed rule', () => {
    const rules = [
      rule({ protocol: 252 }),
      rule({ src: '10.0.0.0/24' }),
      rule({ table: '300' }),
      rule({ table: 'main' }),
    ];
    const routes = [
      route({ protocol: 252 }),
      route({ table: '254' }),
      route({ table: '300', dev: 'eth0' }),
      route({ table: '400' }),
    ];
    expect(planLegacySeedRouting(rules, routes, PEERS, DEFAULT_LAYOUT)).toEqual([]);
  });

  it("leaves an operator's or wg-quick's table alone: a source outside the peer subnet, a gatewayless route, a table with more routes", () => {
    const operator = planLegacySeedRouting(
      [rule({ src: '192.168.5.9', table: '51820' })],
      [route({ table: '51820' })],
      PEERS,
      DEFAULT_LAYOUT,
    );
    const gatewayless = planLegacySeedRouting([rule({})], [route({ gateway: '' })], PEERS, DEFAULT_LAYOUT);
    const busyTable = planLegacySeedRouting(
      [rule({})],
      [route({}), route({ dst: '10.9.0.0/16' })],
      PEERS,
      DEFAULT_LAYOUT,
    );
    expect([operator, gatewayless, busyTable]).toEqual([[], [], []]);
  });
});
