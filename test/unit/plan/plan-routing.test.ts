import { describe, expect, it } from 'vitest';
import type { ObservedPolicyRule, ObservedRoute, PolicyRuleSpec, RouteSpec } from '../../../src/model/network.js';
import { planPolicyRules, planRoutes } from '../../../src/plan/plan-routing.js';

const suppress: PolicyRuleSpec = { priority: 10000, src: '10.0.0.4', table: 'main', suppressPrefixlength: 0 };
const lookup: PolicyRuleSpec = { priority: 10001, src: '10.0.0.4', table: '1234', suppressPrefixlength: null };
const ours = (r: PolicyRuleSpec): ObservedPolicyRule => ({ ...r, protocol: 252 });
const system: ObservedPolicyRule[] = [
  { priority: 0, src: 'all', table: 'local', suppressPrefixlength: null, protocol: null },
  { priority: 32766, src: 'all', table: 'main', suppressPrefixlength: null, protocol: null },
];
const route: RouteSpec = { table: '1234', dst: 'default', gateway: '10.0.1.1', dev: 'wg0' };

describe('planPolicyRules', () => {
  it('adds missing rules and ignores rules that are not protocol 252', () => {
    const seedRule: ObservedPolicyRule = { ...lookup, protocol: null };
    expect(planPolicyRules([suppress, lookup], [...system, seedRule, ours(suppress)])).toEqual([
      { kind: 'add-policy-rule', rule: lookup, reason: 'policy rule missing' },
    ]);
  });

  it('deletes our rules that are not desired, and treats a changed field as delete and add', () => {
    const moved = { ...lookup, priority: 10005 };
    expect(planPolicyRules([suppress, moved], [...system, ours(suppress), ours(lookup)])).toEqual([
      { kind: 'delete-policy-rule', rule: lookup, reason: 'policy rule not in desired state' },
      { kind: 'add-policy-rule', rule: moved, reason: 'policy rule missing' },
    ]);
  });

  it('plans nothing when converged, and each duplicate once', () => {
    expect(planPolicyRules([suppress, lookup], [ours(lookup), ...system, ours(suppress)])).toEqual([]);
    expect(planPolicyRules([], [ours(lookup), ours(lookup)])).toHaveLength(1);
  });
});

describe('planRoutes', () => {
  it('adds, keeps and deletes only protocol 252 routes', () => {
    const old: ObservedRoute = { table: '1235', dst: 'default', gateway: '10.0.2.1', dev: 'wg0', protocol: 252 };
    const kernel: ObservedRoute = { table: 'main', dst: '172.20.0.0/16', gateway: '', dev: 'eth0', protocol: null };
    const other: ObservedRoute = { table: '1234', dst: '10.5.0.0/16', gateway: '10.0.1.1', dev: 'wg0', protocol: 4 };
    expect(planRoutes([route], [kernel, other, old])).toEqual([
      {
        kind: 'delete-route',
        route: { table: '1235', dst: 'default', gateway: '10.0.2.1', dev: 'wg0' },
        reason: 'route not in desired state',
      },
      { kind: 'add-route', route, reason: 'route missing' },
    ]);
    expect(planRoutes([route], [{ ...route, protocol: 252 }, kernel])).toEqual([]);
  });
});
