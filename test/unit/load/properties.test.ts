import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCidr, parseIPv4 } from '../../../src/model/ipv4.js';
import { CIDR_PATTERN, IPV4_PATTERN } from '../../../src/load/schemas.js';
import { formatIssue } from '../../../src/text/state-issue.js';
import { validateState } from '../../../src/load/validate-state.js';
import { CELL, ISSUE_LINE, peer } from './helpers.js';

const CELL_FILE = { file: 'cell.json', text: JSON.stringify(CELL) };

/** Loads `text` next to a good Cell; asserts nothing throws and every issue is one line. */
function loadsSafely(file: string, text: string): void {
  const loaded = validateState([CELL_FILE, { file, text }]);
  expect(loaded.state).not.toBeNull();
  for (const issue of loaded.issues) {
    const line = formatIssue(issue);
    expect(line).toMatch(ISSUE_LINE);
    expect(line.length).toBeLessThan(2000);
  }
}

const textChars = fc.string({ unit: 'binary', maxLength: 60 });

describe('properties', () => {
  it('random JSON values never throw and give one-line issues', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) =>
        loadsSafely('peers/x.json', JSON.stringify(value) ?? 'null'),
      ),
      { seed: 42, numRuns: 400 },
    );
  });

  it('random bytes and text never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), textChars, (bytes, name) => {
        loadsSafely('peers/x.json', new TextDecoder().decode(bytes));
        loadsSafely(`peers/${name}.json`, name);
      }),
      { seed: 42, numRuns: 400 },
    );
  });

  it('a valid peer with one field replaced by anything never throws', () => {
    const fields = ['kind', 'name', 'ip', 'internet_access', 'service_access', 'peer_access', 'route_via', 'extra'];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.oneof(fc.jsonValue({ maxDepth: 3 }), textChars), (field, value) => {
        loadsSafely('peers/x.json', JSON.stringify({ ...peer('x', '10.0.0.2'), [field]: value }));
      }),
      { seed: 42, numRuns: 400 },
    );
  });

  it('objects with arbitrary keys never throw', () => {
    fc.assert(
      fc.property(fc.dictionary(textChars, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }), (extra) => {
        loadsSafely('peers/x.json', JSON.stringify({ ...peer('x', '10.0.0.2'), ...extra }));
        loadsSafely(
          'peers/y.json',
          JSON.stringify({ kind: 'CellLink', name: 'y', vpn_subnet: '10.9.0.0/24', permissions: { inbound: extra } }),
        );
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("the editors' IPv4 and CIDR patterns accept exactly what parseIPv4 and parseCidr accept", () => {
    const ipv4 = new RegExp(IPV4_PATTERN);
    const cidr = new RegExp(CIDR_PATTERN);
    const addressLike = fc.stringMatching(/^[0-9.]{1,16}$/);
    const octets = fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((o) => o.join('.'));
    fc.assert(
      fc.property(fc.oneof(addressLike, octets), fc.nat(40), (text, len) => {
        expect(ipv4.test(text)).toBe(parseIPv4(text) !== null);
        // The pattern checks shape only; host bits are parseCidr's job.
        expect(cidr.test(`${text}/${len}`)).toBe(parseCidr(`${text}/${len}`, false) !== null);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });
});
