import { describe, expect, it } from 'vitest';
import { validateState } from '../../../src/load/validate-state.js';
import { CELL, peer, stateFiles } from './helpers.js';

/** The DesiredState invariant: a load keeps the identity of everything that did not change. */
describe('each load is produced from the previous one', () => {
  const files = (
    peers: Record<string, unknown>[],
    cell: Record<string, unknown> = { ...CELL, services: ['api'] },
  ): ReturnType<typeof stateFiles> =>
    stateFiles({ 'cell.json': cell, ...Object.fromEntries(peers.map((p) => [`peers/${String(p['name'])}.json`, p])) });

  const first = validateState(
    files([peer('alice', '10.0.0.2'), peer('carol', '10.0.0.4', { service_access: ['api'] })]),
  );

  it('returns the previous state itself when nothing changed, even from fresh parses', () => {
    const again = validateState(
      files([peer('alice', '10.0.0.2'), peer('carol', '10.0.0.4', { service_access: ['api'] })]),
      { previous: first },
    );
    expect(again.state).toBe(first.state);
  });

  it('gives an edited peer a new object and keeps every other one, and the cell, as they were', () => {
    const next = validateState(
      files([
        peer('alice', '10.0.0.2', { internet_access: false }),
        peer('carol', '10.0.0.4', { service_access: ['api'] }),
      ]),
      { previous: first },
    );
    expect(next.state).not.toBe(first.state);
    expect(next.state?.peers[0]).not.toBe(first.state?.peers[0]);
    expect(next.state?.peers[0]?.internet_access).toBe(false);
    expect(next.state?.peers[1]).toBe(first.state?.peers[1]);
    expect(next.state?.peers[1]?.service_access).toBe(first.state?.peers[1]?.service_access);
    expect(next.state?.cell).toBe(first.state?.cell);
  });

  it('keeps the identity of peers that move to another index when one is inserted before them', () => {
    const next = validateState(
      files([
        peer('alice', '10.0.0.2'),
        peer('bob', '10.0.0.3'),
        peer('carol', '10.0.0.4', { service_access: ['api'] }),
      ]),
      { previous: first },
    );
    expect(next.state?.peers.map((p) => p.name)).toEqual(['alice', 'bob', 'carol']);
    expect(next.state?.peers[0]).toBe(first.state?.peers[0]);
    expect(next.state?.peers[2]).toBe(first.state?.peers[1]);
    expect(Object.isFrozen(next.state?.peers[1])).toBe(true);
  });

  it('changes only the nested field that changed: an edited service list gives a new cell', () => {
    const next = validateState(
      files([peer('alice', '10.0.0.2'), peer('carol', '10.0.0.4', { service_access: ['api'] })], {
        ...CELL,
        services: ['api', 'web'],
      }),
      { previous: first },
    );
    expect(next.state?.cell).not.toBe(first.state?.cell);
    expect(next.state?.cell.services[0]).toBe(first.state?.cell.services[0]);
    expect(next.state?.cell.services.map((s) => s.name)).toEqual(['api', 'web']);
    // alice's default service_access follows the cell: a new object; carol's explicit one stays.
    expect(next.state?.peers[0]?.service_access).toEqual(['api', 'web']);
    expect(next.state?.peers[1]).toBe(first.state?.peers[1]);
  });

  it('parses again only the files whose text changed', () => {
    const edited = files([
      peer('alice', '10.0.0.2', { internet_access: false }),
      peer('carol', '10.0.0.4', { service_access: ['api'] }),
    ]);
    const next = validateState(edited, { previous: first });
    expect(next.parses?.get('peers/carol.json')?.parsed).toBe(first.parses?.get('peers/carol.json')?.parsed);
    expect(next.parses?.get('cell.json')?.parsed).toBe(first.parses?.get('cell.json')?.parsed);
    expect(next.parses?.get('peers/alice.json')?.parsed).not.toBe(first.parses?.get('peers/alice.json')?.parsed);
  });

  it('keeps the state itself when a file is rewritten with other spacing (parsed again, equal data)', () => {
    const respaced = files([peer('alice', '10.0.0.2'), peer('carol', '10.0.0.4', { service_access: ['api'] })]).map(
      (entry) => ('text' in entry ? { file: entry.file, text: JSON.stringify(JSON.parse(entry.text)) } : entry),
    );
    const again = validateState(respaced, { previous: first });
    expect(again.parses?.get('peers/alice.json')?.parsed).not.toBe(first.parses?.get('peers/alice.json')?.parsed);
    expect(again.state).toBe(first.state);
  });
});
