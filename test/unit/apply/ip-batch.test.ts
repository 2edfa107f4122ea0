import { describe, expect, it } from 'vitest';
import { compileIpBatch } from '../../../src/apply/ip-batch.js';
import type { AddressAction, RoutingAction } from '../../../src/model/plan.js';

const suppress = { priority: 10000, src: '10.0.0.4', table: 'main', suppressPrefixlength: 0 };
const lookup = { priority: 10001, src: '10.0.0.4', table: '1234', suppressPrefixlength: null };
const route = { table: '1234', dst: 'default', gateway: '10.0.1.1', dev: 'wg0' };

describe('compileIpBatch', () => {
  it('is null for no actions', () => {
    expect(compileIpBatch([])).toBeNull();
  });

  it('compiles addresses, deletions first', () => {
    const actions: AddressAction[] = [
      {
        kind: 'add-address',
        dev: 'eth0',
        address: { address: '172.20.0.21', prefixlen: 16, label: 'eth0:pic' },
        reason: '',
      },
      {
        kind: 'delete-address',
        dev: 'eth0',
        address: { address: '172.20.0.21', prefixlen: 24, label: 'eth0:pic' },
        reason: '',
      },
    ];
    expect(compileIpBatch(actions)?.text).toBe(
      'address del 172.20.0.21/24 dev eth0 label eth0:pic\naddress add 172.20.0.21/16 dev eth0 label eth0:pic\n',
    );
  });

  it('routes before the rules that use them, and the old entries only after the new ones (make before break)', () => {
    const oldRoute = { ...route, table: '1235', gateway: '10.0.2.1' };
    const actions: RoutingAction[] = [
      { kind: 'add-policy-rule', rule: suppress, reason: '' },
      { kind: 'add-policy-rule', rule: lookup, reason: '' },
      { kind: 'add-route', route, reason: '' },
      { kind: 'delete-route', route: oldRoute, reason: '' },
      { kind: 'delete-policy-rule', rule: { ...lookup, table: '1235' }, reason: '' },
    ];
    expect(compileIpBatch(actions)?.text.split('\n')).toEqual([
      'route replace default via 10.0.1.1 dev wg0 table 1234 proto 252 onlink',
      'rule add priority 10000 from 10.0.0.4 lookup main suppress_prefixlength 0 protocol 252',
      'rule add priority 10001 from 10.0.0.4 lookup 1234 protocol 252',
      'rule del priority 10001 from 10.0.0.4 lookup 1235 protocol 252',
      'route del default via 10.0.2.1 dev wg0 table 1235 proto 252',
      '',
    ]);
  });

  it('drops the deletion of a route that a replace of the same table and destination swaps', () => {
    const actions: RoutingAction[] = [
      { kind: 'delete-route', route: { ...route, gateway: '10.0.9.9' }, reason: '' },
      { kind: 'add-route', route, reason: '' },
    ];
    expect(compileIpBatch(actions)?.text).toBe(
      'route replace default via 10.0.1.1 dev wg0 table 1234 proto 252 onlink\n',
    );
  });
});
