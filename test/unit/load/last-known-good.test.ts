import { describe, expect, it } from 'vitest';
import type { LoadedState } from '../../../src/load/loaded-state.js';
import { validateState, type StateFile } from '../../../src/load/validate-state.js';
import { CELL, ISSUE_LINE, issueLines, link, peer, stateFiles } from './helpers.js';

const GOOD = {
  'cell.json': CELL,
  'cells/paris.json': link('paris', '10.0.1.0/24', { wg_ip: '10.0.1.1' }),
  'peers/alice.json': peer('alice', '10.0.0.2'),
  'peers/bob.json': peer('bob', '10.0.0.3', { internet_access: false }),
  'peers/carol.json': peer('carol', '10.0.0.4', { route_via: 'paris' }),
};

function load(files: Record<string, unknown>, previous?: LoadedState): LoadedState {
  const loaded = validateState(stateFiles(files), previous === undefined ? {} : { previous });
  for (const line of issueLines(loaded)) expect(line).toMatch(ISSUE_LINE);
  return loaded;
}

function peerOf(loaded: LoadedState, name: string) {
  return loaded.state?.peers.find((p) => p.name === name);
}

describe('last-known-good', () => {
  const first = load(GOOD);

  it('starts from a clean load', () => {
    expect(issueLines(first)).toEqual([]);
    expect(first.state?.peers).toHaveLength(3);
  });

  it('a file with broken JSON keeps its previous resources', () => {
    const next = load({ ...GOOD, 'peers/bob.json': '{"kind": "Peer", "name": "bob", "ip": ' }, first);
    expect(issueLines(next)).toEqual(['peers/bob.json: /: invalid JSON: Unexpected end of JSON input']);
    expect(peerOf(next, 'bob')).toBe(peerOf(first, 'bob'));
    expect(next.fallbackFiles).toEqual(['peers/bob.json']);
    expect(next.unresolvedFiles).toEqual([]);
    expect(next.fileResources.get('peers/bob.json')).toEqual(['Peer/bob']);
    // Nothing changed, so the whole state is the previous object.
    expect(next.state).toBe(first.state);

    // Still broken a load later: still the version from two loads ago.
    const again = load({ ...GOOD, 'peers/bob.json': 'garbage' }, next);
    expect(peerOf(again, 'bob')).toBe(peerOf(first, 'bob'));
  });

  it('a file that fails the schema keeps its previous resources, not the new ones', () => {
    const next = load(
      { ...GOOD, 'peers/bob.json': peer('bob', '10.0.0.3', { internet_access: true, admin: true }) },
      first,
    );
    expect(issueLines(next)).toEqual(['peers/bob.json: /admin: unknown field']);
    expect(peerOf(next, 'bob')?.internet_access).toBe(false);
  });

  it('a file with one bad item keeps all its previous items', () => {
    const twoPeers = { ...GOOD, 'peers/kids.json': [peer('dave', '10.0.0.10'), peer('erin', '10.0.0.11')] };
    const before = load(twoPeers);
    const next = load(
      { ...twoPeers, 'peers/kids.json': [peer('dave', '10.0.0.12'), peer('erin', '10.0.0.11', { ip: 'x' })] },
      before,
    );
    expect(issueLines(next)).toEqual([
      'peers/kids.json: /1/ip: must be a dotted-quad IPv4 address, e.g. 10.0.0.2, got "x"',
    ]);
    expect(peerOf(next, 'dave')?.ip).toBe('10.0.0.10');
    expect(peerOf(next, 'erin')).toBe(peerOf(before, 'erin'));
  });

  it('a conflict is charged to the changed file, even when it comes first', () => {
    // alice.json sorts before bob.json, but bob did not change: alice is charged.
    const next = load({ ...GOOD, 'peers/alice.json': peer('alice', '10.0.0.3') }, first);
    expect(issueLines(next)).toEqual([
      'peers/alice.json: /ip: IP 10.0.0.3 is used by two peers: also by Peer/bob in peers/bob.json',
    ]);
    expect(peerOf(next, 'alice')).toBe(peerOf(first, 'alice'));
    expect(peerOf(next, 'bob')).toBe(peerOf(first, 'bob'));
    expect(next.fallbackFiles).toEqual(['peers/alice.json']);
  });

  it('a new file that clashes with a live resource is the one refused', () => {
    const next = load({ ...GOOD, 'peers/zed.json': peer('alice', '10.0.0.20') }, first);
    expect(issueLines(next)).toEqual([
      'peers/zed.json: /name: name Peer/alice is used twice: also by Peer/alice in peers/alice.json',
    ]);
    expect(next.unresolvedFiles).toEqual(['peers/zed.json']);
    expect(peerOf(next, 'alice')).toBe(peerOf(first, 'alice'));
  });

  it('a Cell edit that breaks an unchanged peer is refused; the previous Cell stays', () => {
    const next = load({ ...GOOD, 'cell.json': { ...CELL, peer_subnet: '10.9.0.0/24' } }, first);
    expect(next.state?.cell).toBe(first.state?.cell);
    expect(next.fallbackFiles).toEqual(['cell.json']);
    expect(issueLines(next)).toContain(
      'cell.json: /peer_subnet: Peer/alice (peers/alice.json) at 10.0.0.2 is outside peer_subnet 10.9.0.0/24',
    );
    expect(next.state?.peers).toBe(first.state?.peers);
  });

  it('removing a service still granted explicitly is refused at the Cell', () => {
    const granted = { ...GOOD, 'peers/bob.json': peer('bob', '10.0.0.3', { service_access: ['mail'] }) };
    const before = load(granted);
    const next = load({ ...granted, 'cell.json': { ...CELL, services: ['calendar', 'files', 'webdav'] } }, before);
    expect(issueLines(next)).toEqual([
      'cell.json: /services: Peer/bob (peers/bob.json) refers to service "mail", which the Cell lacks',
    ]);
    expect(next.state?.cell.services.map((s) => s.name)).toEqual(['calendar', 'files', 'mail', 'webdav']);
  });

  it('a broken Cell file keeps the previous Cell, and peers are checked against it', () => {
    const next = load({ ...GOOD, 'cell.json': '{', 'peers/dave.json': peer('dave', '10.0.0.9') }, first);
    expect(next.state?.cell).toBe(first.state?.cell);
    expect(peerOf(next, 'dave')?.service_access).toEqual(['calendar', 'files', 'mail', 'webdav']);
  });

  it('a last good resource that can no longer stand is dropped and its file unresolved', () => {
    // carol.json is broken, and the link its last good version routes via was deleted.
    const { 'cells/paris.json': _deleted, ...rest } = GOOD;
    const next = load({ ...rest, 'peers/carol.json': '[' }, first);
    expect(issueLines(next)).toEqual([
      'peers/carol.json: /: invalid JSON: Unexpected end of JSON input',
      'peers/carol.json: /: last good Peer/carol cannot be kept: /route_via: no CellLink named "paris"',
    ]);
    expect(peerOf(next, 'carol')).toBeUndefined();
    expect(next.unresolvedFiles).toEqual(['peers/carol.json']);
    expect(next.fallbackFiles).toEqual([]);
    expect(next.fileResources.has('peers/carol.json')).toBe(false);
  });

  it('a deleted file deletes its resources', () => {
    const { 'peers/bob.json': _deleted, ...rest } = GOOD;
    const next = load(rest, first);
    expect(issueLines(next)).toEqual([]);
    expect(peerOf(next, 'bob')).toBeUndefined();
  });

  it('an unreadable file or folder keeps what it held', () => {
    const files: StateFile[] = [
      ...stateFiles({ 'cell.json': CELL, 'cells/paris.json': GOOD['cells/paris.json'] }),
      { file: 'peers', error: 'cannot list folder: EACCES', directory: true },
    ];
    const next = validateState(files, { previous: first });
    expect(issueLines(next)).toEqual(['peers: /: cannot list folder: EACCES']);
    expect(next.state).toBe(first.state);
    expect(next.fallbackFiles).toEqual(['peers/alice.json', 'peers/bob.json', 'peers/carol.json']);
    expect(next.unresolvedFiles).toEqual(['peers']);

    const gone = validateState([{ file: '.', error: 'cannot open the state directory: ENOENT', directory: true }], {
      previous: first,
    });
    expect(gone.state).toBe(first.state);
    expect(issueLines(gone)).toEqual(['.: /: cannot open the state directory: ENOENT']);
  });

  it('unchanged resources are the same objects; changed ones are new', () => {
    const next = load({ ...GOOD, 'peers/bob.json': peer('bob', '10.0.0.3', { internet_access: true }) }, first);
    expect(issueLines(next)).toEqual([]);
    expect(next.state).not.toBe(first.state);
    expect(next.state?.cell).toBe(first.state?.cell);
    expect(next.state?.links).toBe(first.state?.links);
    expect(peerOf(next, 'alice')).toBe(peerOf(first, 'alice'));
    expect(peerOf(next, 'carol')).toBe(peerOf(first, 'carol'));
    expect(peerOf(next, 'bob')).not.toBe(peerOf(first, 'bob'));
    expect(peerOf(next, 'bob')?.internet_access).toBe(true);
    expect(Object.isFrozen(peerOf(next, 'bob'))).toBe(true);
    // Spelling a default out, or reformatting, changes nothing.
    const spelled = load(
      {
        ...GOOD,
        'peers/alice.json': `  ${JSON.stringify(peer('alice', '10.0.0.2', { peer_access: true, route_via: null }))}`,
      },
      first,
    );
    expect(spelled.state).toBe(first.state);
  });
});
