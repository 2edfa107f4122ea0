import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadState } from '../../../src/load/load-state.js';
import { issueLines } from './helpers.js';

const STATE_DIR = join(import.meta.dirname, '../../../state');

describe('the example state', () => {
  it('loads with no issues and the resolved defaults', async () => {
    const loaded = await loadState(STATE_DIR);
    expect(issueLines(loaded)).toEqual([]);
    expect(loaded.unresolvedFiles).toEqual([]);
    expect(loaded.fallbackFiles).toEqual([]);
    const state = loaded.state;
    expect(state).not.toBeNull();
    if (state === null) return;

    expect(state.cell).toEqual({
      kind: 'Cell',
      name: 'home',
      domain: 'cell',
      ip_range: '172.20.0.0/16',
      peer_subnet: '10.0.0.0/24',
      services: [
        { name: 'calendar', vip: '172.20.0.21' },
        { name: 'files', vip: '172.20.0.22' },
        { name: 'mail', vip: '172.20.0.23' },
        { name: 'webdav', vip: '172.20.0.24' },
      ],
      upstream_dns: ['8.8.8.8', '1.1.1.1'],
      unknown_peers: 'drop',
    });
    // Sorted by IP numerically: 10.0.0.10 after 10.0.0.4.
    expect(state.peers.map((p) => [p.name, p.ip])).toEqual([
      ['alice', '10.0.0.2'],
      ['bob', '10.0.0.3'],
      ['carol', '10.0.0.4'],
      ['dave-phone', '10.0.0.10'],
      ['erin-laptop', '10.0.0.11'],
    ]);
    const erin = state.peers.find((p) => p.name === 'erin-laptop');
    expect(erin).toEqual({
      kind: 'Peer',
      name: 'erin-laptop',
      ip: '10.0.0.11',
      internet_access: true,
      service_access: ['calendar', 'files'],
      peer_access: true,
      route_via: null,
    });
    expect(state.peers.find((p) => p.name === 'alice')?.route_via).toBeNull();
    expect(state.peers.find((p) => p.name === 'carol')?.route_via).toBe('paris');
    expect(state.links.map((l) => l.name)).toEqual(['lyon', 'paris']);
    expect(state.links[1]).toEqual({
      kind: 'CellLink',
      name: 'paris',
      vpn_subnet: '10.0.1.0/24',
      domain: 'paris.cell',
      dns_ip: '10.0.1.1',
      wg_ip: '10.0.1.1',
      permissions: { inbound: { calendar: true, files: false, mail: false, webdav: false } },
      remote_exit_relay_active: false,
    });
    expect(Object.fromEntries(loaded.fileResources)).toEqual({
      'cell.json': ['Cell/home'],
      'cells/lyon.json': ['CellLink/lyon'],
      'cells/paris.json': ['CellLink/paris'],
      'peers/alice.json': ['Peer/alice'],
      'peers/bob.json': ['Peer/bob'],
      'peers/carol.json': ['Peer/carol'],
      'peers/kids.json': ['Peer/dave-phone', 'Peer/erin-laptop'],
      'tests/access.json': [
        'carol-private',
        'carol-exit',
        'dave-no-mail',
        'paris-api',
        'paris-no-files',
        'stranger-dropped',
      ].map((name) => `AccessTest/${name}`),
    });
    expect(state.tests?.[0]).toEqual({
      kind: 'AccessTest',
      name: 'carol-private',
      from: 'alice',
      to: 'carol',
      expect: 'deny',
    });
    expect(loaded.resourcePointers?.get('AccessTest/paris-api')).toBe('/3');
  });

  it('is deep-frozen', async () => {
    const { state } = await loadState(STATE_DIR);
    expect(Object.isFrozen(state)).toBe(true);
    expect(Object.isFrozen(state?.cell.services[0])).toBe(true);
    expect(Object.isFrozen(state?.links[0]?.permissions.inbound)).toBe(true);
    expect(Object.isFrozen(state?.peers)).toBe(true);
  });

  it('shares unchanged resources with the previous load', async () => {
    const first = await loadState(STATE_DIR);
    const second = await loadState(STATE_DIR, { previous: first });
    expect(second.state).toBe(first.state);
    expect(second.state?.peers[0]).toBe(first.state?.peers[0]);
  });
});
