/**
 * "No input changes a resource's live rules except a valid edit of it", on the pure
 * pipeline: for a random valid state S written as files and a random corruption of one
 * file F, validateState(corrupted, previous = load(S)) renders exactly what S renders,
 * and F's resources are their previous versions. With a valid edit of another file G on
 * top, the result is exactly "S with G edited".
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resourceKey, type LoadedState } from '../../src/load/loaded-state.js';
import { validateState, type StateFile } from '../../src/load/validate-state.js';
import type { DesiredState, Resource } from '../../src/model/desired-state.js';
import { DEFAULT_LAYOUT } from '../../src/model/facts.js';
import { renderCell } from '../../src/render/render-cell.js';
import { arbitraryState } from '../helpers/arbitrary-state.js';
import { fuzzParams } from './fuzz-settings.js';
import { resourceFiles } from './state-files.js';

const FACTS = { apiIp: '172.20.0.3' };

type Corruption =
  | { readonly kind: 'bytes'; readonly text: string }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'field'; readonly field: string; readonly value: unknown }
  | { readonly kind: 'clash'; readonly field: 'ip' | 'name'; readonly other: number }
  | { readonly kind: 'wrap'; readonly extra: unknown };

const hostileValue = fc.constantFrom<unknown>(
  '10.0.0.300',
  '',
  '10.0.0.2 -j ACCEPT',
  'Bad',
  '-x',
  'a'.repeat(40),
  'x"\n-A FORWARD -j ACCEPT',
  '}\nimport /etc',
  'аlice',
  '10.0.0.0/33',
  'UPPER.case',
  null,
  7,
  [],
  {},
  true,
);

const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }).map((text) => ({ kind: 'bytes' as const, text })),
  fc.nat().map((at) => ({ kind: 'truncate' as const, at })),
  fc
    .record({
      field: fc.constantFrom(
        'kind',
        'name',
        'ip',
        'vpn_subnet',
        'peer_subnet',
        'ip_range',
        'domain',
        'wg_ip',
        'internet_access',
        'unknown_peers',
        'service_access',
        'route_via',
        'surprise',
      ),
      value: hostileValue,
    })
    .map((c) => ({ kind: 'field' as const, ...c })),
  fc
    .record({ field: fc.constantFrom('ip' as const, 'name' as const), other: fc.nat() })
    .map((c) => ({ kind: 'clash' as const, ...c })),
  fc.jsonValue({ maxDepth: 2 }).map((extra) => ({ kind: 'wrap' as const, extra })),
);

/** The corrupted text of `file`, or null when this corruption could be a valid edit of it. */
function corrupt(file: StateFile & { text: string }, how: Corruption, state: DesiredState): string | null {
  const value = JSON.parse(file.text) as Record<string, unknown>;
  switch (how.kind) {
    case 'bytes':
      return how.text;
    case 'truncate':
      // A proper prefix of one JSON object is never valid JSON.
      return file.text.slice(0, how.at % file.text.length);
    case 'field': {
      const edited = { ...value, [how.field]: how.value };
      // Setting a field a kind does not have is an unknown field; one it has gets a value no schema accepts,
      // except where null or a boolean is that field's valid value.
      const fine =
        (how.value === null && ['route_via', 'wg_ip', 'domain'].includes(how.field)) ||
        (typeof how.value === 'boolean' && how.field === 'internet_access') ||
        (Array.isArray(how.value) && how.field === 'service_access');
      return fine ? null : JSON.stringify(edited);
    }
    case 'clash': {
      if (value['kind'] !== 'Peer' || state.peers.length < 2) return null;
      const others = state.peers.filter((p) => p.name !== value['name']);
      const other = others[how.other % others.length];
      return other === undefined ? null : JSON.stringify({ ...value, [how.field]: other[how.field] });
    }
    case 'wrap':
      // A second item with no valid kind fails the whole file.
      return JSON.stringify([value, { kind: 'Nope', payload: how.extra }]);
  }
}

function keysOf(loaded: LoadedState, file: string): readonly string[] {
  return loaded.fileResources.get(file) ?? [];
}

function byKey(state: DesiredState | null): Map<string, Resource> {
  return new Map(state === null ? [] : [state.cell, ...state.peers, ...state.links].map((r) => [resourceKey(r), r]));
}

describe('a corrupted file never changes live rules', () => {
  it('render(validate(S with F corrupted, previous S)) = render(S), and F keeps its previous resources', () => {
    fc.assert(
      fc.property(arbitraryState, fc.nat(), corruption, (state, pick, how) => {
        const files = resourceFiles(state) as (StateFile & { text: string })[];
        const previous = validateState(files);
        fc.pre(previous.issues.length === 0 && previous.state !== null);
        const target = files[pick % files.length] as StateFile & { text: string };
        const text = corrupt(target, how, state);
        fc.pre(text !== null);
        const loaded = validateState(
          files.map((f) => (f === target ? { file: f.file, text } : f)),
          { previous },
        );
        expect(loaded.issues.length).toBeGreaterThan(0);
        expect(loaded.fallbackFiles).toContain(target.file);
        expect(renderCell(loaded.state as DesiredState, FACTS, DEFAULT_LAYOUT)).toEqual(
          renderCell(previous.state as DesiredState, FACTS, DEFAULT_LAYOUT),
        );
        const before = byKey(previous.state);
        const after = byKey(loaded.state);
        for (const key of keysOf(previous, target.file)) expect(after.get(key)).toBe(before.get(key));
      }),
      fuzzParams(400),
    );
  });

  it('with a valid edit of another file G as well, the result is exactly S with G edited', () => {
    fc.assert(
      fc.property(arbitraryState, fc.nat(), fc.nat(), corruption, (state, pickF, pickG, how) => {
        fc.pre(state.peers.length >= 2);
        const files = resourceFiles(state) as (StateFile & { text: string })[];
        const previous = validateState(files);
        fc.pre(previous.issues.length === 0);
        const peerFiles = files.filter((f) => f.file.startsWith('peers/'));
        const g = peerFiles[pickG % peerFiles.length] as StateFile & { text: string };
        const others = files.filter((f) => f !== g);
        const f = others[pickF % others.length] as StateFile & { text: string };
        const text = corrupt(f, how, state);
        fc.pre(text !== null);
        const gPeer = JSON.parse(g.text) as { internet_access: boolean; peer_access: boolean };
        const gEdited = {
          file: g.file,
          text: JSON.stringify({ ...gPeer, internet_access: !gPeer.internet_access, peer_access: !gPeer.peer_access }),
        };
        const expected = validateState(
          files.map((x) => (x === g ? gEdited : x)),
          { previous },
        );
        expect(expected.issues).toEqual([]);
        const loaded = validateState(
          files.map((x) => (x === g ? gEdited : x === f ? { file: f.file, text } : x)),
          { previous },
        );
        expect(loaded.state).toEqual(expected.state);
      }),
      fuzzParams(300),
    );
  });
});
