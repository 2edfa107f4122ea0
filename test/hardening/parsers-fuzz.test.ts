/**
 * The two parsers of live text, against random, truncated and mangled input: the
 * iptables-save parser (real nft and legacy dumps from test/fixtures/observe) and the
 * Corefile parser. Neither may throw; an error is one line; a dump that parses is never
 * a partial table (planning against half a table would delete live rules).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TABLES } from '../../src/model/iptables.js';
import { MAX_COREFILE_NESTING, parseCorefile } from '../../src/parse/parse-corefile.js';
import { parseIptablesSave, type ParseIptablesResult } from '../../src/parse/parse-iptables-save.js';
import { renderCorefile } from '../../src/render/render-corefile.js';
import { DEFAULT_LAYOUT } from '../../src/model/facts.js';
import { quoteSaveString } from '../../src/model/iptables-rule.js';
import { planIptables, unreadableOwnedRules } from '../../src/plan/plan-iptables.js';
import { renderCell } from '../../src/render/render-cell.js';
import { formatIptablesSave } from '../../src/render/format-iptables-save.js';
import { arbitraryState } from '../helpers/arbitrary-state.js';
import { chainList, readFixture } from '../unit/observe/helpers.js';
import { fuzzParams } from './fuzz-settings.js';

const DUMPS = [
  'iptables-seed.txt',
  'iptables-seed-legacy.txt',
  'iptables-nft-with-legacy-warning.txt',
  'iptables-docker-wgquick.txt',
  'iptables-docker-counters.txt',
].map((name) => ({ name, text: readFixture(name) }));

function expectOneLine(result: { ok: true } | { ok: false; error: string }): void {
  if (!result.ok) {
    expect(result.error).not.toMatch(/[\n\r]/);
    expect(result.error.length).toBeLessThan(400);
  }
}

/** Every table of `part` is the same table as in `whole`, or absent from the text (read as empty). */
function expectWholeTablesOnly(part: ParseIptablesResult, partText: string, whole: ParseIptablesResult): void {
  if (!part.ok || !whole.ok) return;
  for (const table of TABLES) {
    if (!partText.split('\n').some((line) => line.trim() === `*${table}`)) continue;
    expect(chainList(part.value[table])).toEqual(chainList(whole.value[table]));
  }
}

const dump = fc.constantFrom(...DUMPS);

describe('iptables-save parser under attack', () => {
  it('a dump cut at any byte is an error or whole tables only', () => {
    fc.assert(
      fc.property(dump, fc.nat(), ({ text }, at) => {
        const cut = text.slice(0, at % (text.length + 1));
        const result = parseIptablesSave(cut);
        expectOneLine(result);
        expectWholeTablesOnly(result, cut, parseIptablesSave(text));
      }),
      fuzzParams(1_000),
    );
  });

  it('a dump with lines dropped, repeated, swapped or garbled never throws, and a dropped COMMIT is an error', () => {
    const edit = fc.record({
      op: fc.constantFrom('drop', 'repeat', 'swap', 'garble', 'crlf', 'nul'),
      at: fc.nat(),
      other: fc.nat(),
      junk: fc.string({ unit: 'binary', maxLength: 20 }),
    });
    fc.assert(
      fc.property(dump, fc.array(edit, { minLength: 1, maxLength: 4 }), ({ text }, edits) => {
        const lines = text.split('\n');
        for (const e of edits) {
          const i = e.at % lines.length;
          const j = e.other % lines.length;
          const line = lines[i] ?? '';
          if (e.op === 'drop') lines.splice(i, 1);
          else if (e.op === 'repeat') lines.splice(i, 0, line);
          else if (e.op === 'swap') [lines[i], lines[j]] = [lines[j] ?? '', line];
          else if (e.op === 'garble') lines[i] = `${line.slice(0, e.other % (line.length + 1))}${e.junk}`;
          else if (e.op === 'crlf') lines[i] = `${line}\r`;
          else lines[i] = `${line}\u0000`;
        }
        const result = parseIptablesSave(lines.join('\n'));
        expectOneLine(result);
        const headers = lines.filter((l) => l.trim().startsWith('*')).length;
        const commits = lines.filter((l) => l.trim() === 'COMMIT').length;
        if (commits < headers) expect(result.ok).toBe(false);
      }),
      fuzzParams(1_000),
    );
  });

  it('huge input: 100,000 rules parse in bounded time; a 4 MB line is one short error', () => {
    const rules = Array.from(
      { length: 100_000 },
      (_, i) =>
        `-A PIC-PEER-X -d 172.20.${(i >> 8) & 255}.${i & 255}/32 -m comment --comment "pic-peer-x/32" -j ACCEPT`,
    );
    const big = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:PIC-PEER-X - [0:0]\n${rules.join('\n')}\nCOMMIT\n`;
    const started = performance.now();
    const result = parseIptablesSave(big);
    const ms = performance.now() - started;
    console.log(`parsed 100,000 rules in ${ms.toFixed(0)} ms`);
    expect(result.ok && result.value.filter.chains.get('PIC-PEER-X')?.rules.length).toBe(100_000);
    expect(ms).toBeLessThan(5_000);
    const opaque = parseIptablesSave(`*filter\n-A X --comment "${'a'.repeat(4_000_000)}\nCOMMIT\n`);
    expect(
      opaque.ok && opaque.value.filter.chains.get('X')?.rules.map((r) => typeof r !== 'string' && r.reason),
    ).toEqual(['a quote that never closes']);
    expect(opaque.ok && opaque.warnings.every((w) => w.length < 200)).toBe(true);
    const broken = parseIptablesSave(`*filter\n${'x'.repeat(4_000_000)}\nCOMMIT\n`);
    expect(broken.ok).toBe(false);
    expectOneLine(broken);
  });
});

/**
 * Foreign rules of the shapes iptables-nft-save and iptables-save (legacy) print, `raw` as the
 * dump has them and `rule` as the parser must read them (null: it cannot, and keeps it opaque).
 */
const commentText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '\n',
      '"',
      "'",
      '\\',
      ' ',
      '\t',
      '\r',
      '\x01',
      'COMMIT',
      '*nat',
      '-A PIC-FORWARD -j ACCEPT',
      ':PIC-X - [0:0]',
    ),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
  ),
  minLength: 1,
  maxLength: 12,
});
const foreignRule: fc.Arbitrary<{ raw: string; rule: string | null }> = fc.oneof(
  commentText.map((c) => `-m comment --comment ${quoteSaveString(c)} -j ACCEPT`).map((r) => ({ raw: r, rule: r })),
  fc
    .constant('-m u32 --u32 "0x0>>0x16&0x3c@0xc>>0x1a&0x3c@0x0&0xff000000=0x17000000" -j DROP')
    .map((r) => ({ raw: r, rule: r })),
  commentText
    .filter((c) => !/[\n\r]/.test(c))
    .map((c) => `-j LOG --log-prefix ${quoteSaveString(`pre ${c}: `)}`)
    .map((r) => ({ raw: r, rule: r })),
  fc
    .constantFrom(
      '-m frobnicate --frob 1:2 -j ACCEPT',
      '! -s 10.9.0.0/16 ! -i wg0 -p tcp -m tcp ! --dport 22 -j REJECT --reject-with icmp-port-unreachable',
      '-m set --match-set blocked src -j DROP',
    )
    .map((r) => ({ raw: r, rule: r })),
  fc
    .constantFrom(`-i a"b -j ACCEPT`, `-o a'b -j DROP`, '-i " -j ACCEPT', '! -o "x -j ACCEPT')
    .map((r) => ({ raw: r, rule: r })),
  fc
    .constantFrom('-m comment --comment "x"y -j DROP', '-m comment --comment "x" "y"z -j DROP')
    .map((r) => ({ raw: r, rule: null })),
);
const placement = fc.record({
  table: fc.constantFrom('filter', 'nat', 'mangle'),
  chain: fc.constantFrom('INPUT', 'OUTPUT', 'FOREIGN'),
  rule: foreignRule,
});

/** A rendered cell's own chains and jumps, with foreign rules appended to built-in and foreign chains. */
function dumpWith(owned: string, foreign: readonly { table: string; chain: string; rule: { raw: string } }[]): string {
  const sections = owned
    .trimEnd()
    .split('\nCOMMIT')
    .filter((part) => part.trim() !== '');
  const tables = new Map(sections.map((part) => [part.trim().split('\n')[0]?.slice(1) ?? '', part.trim()]));
  tables.set('mangle', '*mangle');
  return (
    [...tables]
      .map(([table, body]) => {
        const mine = foreign.filter((f) => f.table === table);
        const declare = [':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':FOREIGN - [0:0]'];
        const [header, ...rest] = body.split('\n');
        return [header, ...declare, ...rest, ...mine.map((f) => `-A ${f.chain} ${f.rule.raw}`), 'COMMIT'].join('\n');
      })
      .join('\n') + '\n'
  );
}

describe('iptables-save parser: foreign rules never block the chains we own', () => {
  it('every shape of foreign rule, in any table and chain, is read exactly or kept opaque, and plans no change of ours', () => {
    fc.assert(
      fc.property(arbitraryState, fc.array(placement, { maxLength: 6 }), (state, foreign) => {
        const desired = renderCell(state, { apiIp: '172.20.0.3' }, DEFAULT_LAYOUT).iptables;
        const result = parseIptablesSave(dumpWith(formatIptablesSave(desired), foreign));
        if (!result.ok) throw new Error(result.error);
        expect(planIptables(desired, result.value)).toEqual([]);
        expect(unreadableOwnedRules(result.value)).toEqual([]);
        for (const table of TABLES) {
          for (const chain of ['INPUT', 'OUTPUT', 'FOREIGN']) {
            const rules = result.value[table].chains.get(chain)?.rules ?? [];
            const expected = foreign
              .filter((f) => f.table === table && f.chain === chain)
              .map((f) => f.rule.rule ?? { kind: 'opaque', text: f.rule.raw, reason: expect.any(String) });
            expect(rules.slice(rules.length - expected.length)).toEqual(expected);
          }
        }
        expect(result.warnings.filter((w) => w.includes('unreadable'))).toHaveLength(
          foreign.filter((f) => f.rule.rule === null).length,
        );
      }),
      fuzzParams(300),
    );
  });
});

describe('Corefile parser under attack', () => {
  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc
      .array(
        fc.constantFrom(
          '{',
          '}',
          '"',
          '\\"',
          '#',
          '\n',
          ' ',
          '.',
          'import',
          'acl',
          'a,',
          ',',
          '\ufeff',
          '\u0000',
          'forward . 1.1.1.1',
        ),
        { maxLength: 80 },
      )
      .map((parts) => parts.join('')),
  );

  it('random and token-soup input never throws; errors are one line with a line number', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const result = parseCorefile(text);
        expectOneLine(result);
        if (!result.ok) expect(result.error).toMatch(/^(line \d+: |unexpected end of file)/);
      }),
      fuzzParams(2_000),
    );
  });

  it('any rendered Corefile parses, and any cut of it never throws', () => {
    fc.assert(
      fc.property(arbitraryState, fc.nat(), (state, at) => {
        const text = renderCorefile(state);
        expect(parseCorefile(text).ok).toBe(true);
        expectOneLine(parseCorefile(text.slice(0, at % (text.length + 1))));
      }),
      fuzzParams(300),
    );
  });

  it('deep nesting is refused with a line number instead of overflowing the stack', () => {
    for (const depth of [MAX_COREFILE_NESTING + 1, 10_000, 1_000_000]) {
      const result = parseCorefile(`. {\n${'a {\n'.repeat(depth)}${'}\n'.repeat(depth)}}\n`);
      expect(result).toEqual({
        ok: false,
        error: `line ${MAX_COREFILE_NESTING + 2}: blocks nested deeper than ${MAX_COREFILE_NESTING}`,
      });
    }
    expect(
      parseCorefile(`. {\n${'a {\n'.repeat(MAX_COREFILE_NESTING - 1)}${'}\n'.repeat(MAX_COREFILE_NESTING - 1)}}\n`).ok,
    ).toBe(true);
  });

  it('a 4 MB token and a 4 MB unterminated quote are handled in bounded time', () => {
    const started = performance.now();
    expect(parseCorefile(`. {\n  log ${'x'.repeat(4_000_000)}\n}\n`).ok).toBe(true);
    expect(parseCorefile(`. {\n  log "${'x'.repeat(4_000_000)}\n}\n`)).toEqual({
      ok: false,
      error: 'line 2: unterminated quoted string',
    });
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
