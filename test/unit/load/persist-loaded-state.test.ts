import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadState } from '../../../src/load/load-state.js';
import { deserializeLoadedState, serializeLoadedState } from '../../../src/load/persist-loaded-state.js';
import { validateState } from '../../../src/load/validate-state.js';
import { CELL, issueLines, peer, stateFiles } from './helpers.js';

const STATE_DIR = join(import.meta.dirname, '../../../state');

describe('persisting a LoadedState', () => {
  it('round-trips, and the restored state serves as last-known-good', async () => {
    const loaded = await loadState(STATE_DIR);
    const text = serializeLoadedState(loaded);
    const restored = deserializeLoadedState(text);
    expect(restored.ok).toBe(true);
    if (!restored.ok) return;
    expect(restored.value.state).toEqual(loaded.state);
    expect(Object.isFrozen(restored.value.state?.cell)).toBe(true);
    expect(restored.value.fileResources).toEqual(loaded.fileResources);
    expect(serializeLoadedState(restored.value)).toBe(text);

    // After a restart, a broken file still gets its last good version from the restored state.
    const next = validateState(
      stateFiles({
        'cell.json': CELL,
        'peers/kids.json': '[{',
        'cells/paris.json': { kind: 'CellLink', name: 'paris', vpn_subnet: '10.0.1.0/24', wg_ip: '10.0.1.1' },
      }),
      { previous: restored.value },
    );
    expect(next.state?.peers.map((p) => p.name)).toEqual(['dave-phone', 'erin-laptop']);
    expect(next.state?.peers[0]).toBe(restored.value.state?.peers.find((p) => p.name === 'dave-phone'));
  });

  it('keeps issues, fallbacks and unresolved files, and a null state', () => {
    const loaded = validateState(stateFiles({ 'a.json': peer('a', '10.0.0.2'), 'b.json': '{' }));
    expect(loaded.state).toBeNull();
    const restored = deserializeLoadedState(serializeLoadedState(loaded));
    expect(restored).toEqual({ ok: true, value: loaded });
  });

  it('refuses a damaged or tampered document', async () => {
    const text = serializeLoadedState(await loadState(STATE_DIR));
    expect(deserializeLoadedState('{')).toEqual({
      ok: false,
      error: "invalid JSON at line 1 column 2: Expected property name or '}'",
    });
    expect(deserializeLoadedState('{"format": "other"}')).toEqual({
      ok: false,
      error: 'not a pic-reconciler/loaded-state/v1 document',
    });

    const tampered = JSON.parse(text) as { files: Record<string, Record<string, unknown>[]> };
    const alice = tampered.files['peers/alice.json']?.[0];
    if (alice !== undefined) alice['name'] = 'a" -j ACCEPT';
    const result = deserializeLoadedState(JSON.stringify(tampered));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^invalid saved state: peers\/alice\.json: \/0\/name: must match/);

    const clash = JSON.parse(text) as { files: Record<string, Record<string, unknown>[]> };
    const bob = clash.files['peers/bob.json']?.[0];
    if (bob !== undefined) bob['ip'] = '10.0.0.2';
    const clashResult = deserializeLoadedState(JSON.stringify(clash));
    expect(clashResult).toEqual({
      ok: false,
      error:
        'invalid saved state: peers/bob.json: /0/ip: IP 10.0.0.2 is used by two peers: also by Peer/alice in peers/alice.json',
    });
    expect(issueLines(await loadState(STATE_DIR))).toEqual([]);
  });
});
