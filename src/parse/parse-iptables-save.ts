import { canonicalRule, type TokenizeError } from '../model/iptables-rule.js';
import { BUILTIN_CHAINS, TABLES } from '../model/iptables.js';
import { incompatibleTable } from './parse-incompatible-table.js';
import type { ObservedChain, ObservedIptables, ObservedRule, ObservedTable, TableName } from '../model/iptables.js';

/**
 * Parses `iptables-save` output (nft or legacy, with or without `-c`) into the
 * observed model of the `filter` and `nat` tables.
 *
 * - Rules are normalised with canonicalRule, so they compare equal to rendered text.
 * - A quoted argument may span lines: a comment holding a newline is printed raw over two
 *   lines. The rule goes on while its quote is open, up to MAX_RULE_SPAN characters.
 * - A rule line that still cannot be read (a quote that never closes, text glued to a closing
 *   quote) is kept in its place as an opaque rule, with a warning; so are stray lines right
 *   after it. Whether that blocks anything is the planner's call: only in our own chains.
 * - Other tables are checked for structure but not kept; one printed only as "incompatible" is a blind spot.
 * - A table absent from the dump (a fresh namespace prints nothing at all) reads as
 *   its built-in chains with policy ACCEPT and no rules: what the kernel does then.
 * - Anything that makes the dump untrustworthy (a table without COMMIT, a line
 *   outside a table, a NUL byte) is an error naming the line, because planning
 *   against a partial dump would delete live rules.
 *
 * One pass over the lines, dispatching on the first character; no regex per line.
 */
export type ParseIptablesResult =
  | { readonly ok: true; readonly value: ObservedIptables; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly error: string };

/** Tables iptables-save can print; any other header means the text is not a dump. */
const KNOWN_TABLES: ReadonlySet<string> = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
const KEPT_TABLES: ReadonlySet<string> = new Set<string>(TABLES);

/** iptables cannot put a NUL in a rule: one means the text is not a dump. */
const NUL = /\x00/;
/** A value iptables-save prints without quotes (xtables_save_string). */
const BARE_VALUE = /^[A-Za-z0-9_-]+$/;
const DIGITS = /^[0-9]+$/;
/** Longest rule text a multi-line quote may build (a comment is at most 256 bytes, escaped at most 512). */
const MAX_RULE_SPAN = 4096;

interface MutableChain {
  name: string;
  builtin: boolean;
  policy: string | null;
  rules: ObservedRule[];
}

interface OpenTable {
  readonly name: string;
  readonly kept: boolean;
  readonly chains: Map<string, MutableChain>;
  readonly line: number;
}

/** Thrown only inside this module, and returned as an error value by parseIptablesSave. */
class DumpError {
  constructor(readonly message: string) {}
}

export function parseIptablesSave(text: string): ParseIptablesResult {
  const nul = NUL.exec(text);
  if (nul) return { ok: false, error: `line ${lineNumberAt(text, nul.index)}: binary data (control character 0x00)` };
  try {
    return parseLines(splitLines(text));
  } catch (error) {
    if (error instanceof DumpError) return { ok: false, error: error.message };
    throw error;
  }
}

/** A file saved with CRLF line ends reads like the LF original; a lone CR stays (a comment may hold one). */
function splitLines(text: string): string[] {
  const crlf = text.includes('\r\n') && !/[^\r]\n/.test(text);
  return text.split(crlf ? '\r\n' : '\n');
}

function parseLines(lines: readonly string[]): ParseIptablesResult {
  const tables = new Map<string, Map<string, MutableChain>>();
  const warnings: string[] = [];
  const blindSpots: string[] = [];
  let open: OpenTable | null = null;
  // The chain of the last opaque rule whose quote never closed: stray lines after it belong to it.
  let strayChain: { readonly name: string; readonly line: number } | null = null;

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = lines[i] as string;
    const line = raw.trim();
    if (line === '' || line.charCodeAt(0) === 35 /* # */) {
      blindSpots.push(...incompatibleTable(line));
      continue;
    }
    if (line === 'COMMIT') {
      if (!open) fail(n, 'COMMIT outside a table');
      tables.set(open.name, withBuiltins(open));
      open = null;
      strayChain = null;
      continue;
    }
    switch (line[0]) {
      case '*': {
        const name = line.slice(1);
        if (open) fail(n, `table ${quoteText(name)} starts before COMMIT of table ${open.name} (line ${open.line})`);
        if (!KNOWN_TABLES.has(name)) fail(n, `unknown table header ${quoteText(line)}`);
        if (tables.has(name)) fail(n, `table ${name} appears twice`);
        open = { name, kept: KEPT_TABLES.has(name), chains: new Map(), line: n };
        break;
      }
      case ':':
        if (!open) fail(n, 'chain declaration outside a table');
        declareChain(open, line, n);
        strayChain = null;
        break;
      case '[':
      case '-': {
        if (!open) fail(n, `rule outside a table: ${quoteText(line)}`);
        const start = raw.trimStart();
        const body = start[0] === '[' ? stripCounters(start, n) : start;
        if (!body.startsWith('-A ')) fail(n, `unexpected line ${quoteText(line)}`);
        const rest = body.slice(3).trimStart();
        const space = rest.indexOf(' ');
        const chainName = space < 0 ? rest.trimEnd() : rest.slice(0, space);
        if (chainName === '') fail(n, '-A without a chain name');
        const read = readRule(lines, i, space < 0 ? '' : rest.slice(space + 1));
        if ('reason' in read) {
          warnings.push(
            `line ${n}: table ${open.name} chain ${chainName}: unreadable rule kept as it is: ${read.reason}`,
          );
          addRule(open, chainName, { kind: 'opaque', text: read.text, reason: read.reason }, n, warnings);
          strayChain = read.unterminated ? { name: chainName, line: n } : null;
        } else {
          addRule(open, chainName, read.rule, n, warnings);
          strayChain = null;
        }
        i = read.last;
        break;
      }
      default:
        if (!open || strayChain === null) fail(n, `unexpected line ${quoteText(line)}`);
        addRule(
          open,
          strayChain.name,
          { kind: 'opaque', text: raw, reason: `continues the unreadable rule of line ${strayChain.line}` },
          n,
          warnings,
        );
    }
  }
  if (open)
    fail(
      lines.at(-1) === '' ? lines.length - 1 : lines.length,
      `table ${open.name} (line ${open.line}) has no COMMIT: truncated dump`,
    );

  const table = (name: TableName): ObservedTable => ({ chains: tables.get(name) ?? emptyTable(name) });
  const value = { filter: table('filter'), nat: table('nat'), ...(blindSpots.length > 0 ? { blindSpots } : {}) };
  return { ok: true, value, warnings };
}

type ReadRule =
  | { readonly rule: string; readonly last: number }
  | { readonly text: string; readonly reason: string; readonly unterminated: boolean; readonly last: number };

/**
 * The rule whose text starts on line `first` (after `-A CHAIN `): while its quote is open it
 * takes the next line too, as iptables-save prints a newline inside a comment raw. A quote
 * that closes into text on its own line leaves that line opaque. One that spans lines and then
 * does not close within MAX_RULE_SPAN, or closes into text, leaves no way to tell where the
 * rule ends: a line after it that looks like a rule (even our jump) may be text inside it. So
 * the rest of the table, up to its COMMIT, is kept as that one opaque rule; the planner stops
 * for the table when that text could hold a rule of ours.
 */
function readRule(lines: readonly string[], first: number, start: string): ReadRule {
  const alone = canonical(start);
  if (typeof alone === 'string') return { rule: alone, last: first };
  if (!alone.unterminated)
    return { text: start, reason: 'text right after a closing quote', unterminated: false, last: first };
  let text = start;
  for (let last = first + 1; last < lines.length && text.length <= MAX_RULE_SPAN; last++) {
    text = `${text}\n${lines[last] as string}`;
    const rule = canonical(text);
    if (typeof rule === 'string') return { rule, last };
    if (!rule.unterminated) break;
  }
  let last = first;
  while (last + 1 < lines.length && (lines[last + 1] as string).trim() !== 'COMMIT') last++;
  const rest = lines.slice(first + 1, last + 1).join('\n');
  if (rest === '') return { text: start, reason: 'a quote that never closes', unterminated: false, last };
  return {
    text: `${start}\n${rest}`,
    reason: 'a quote that spans lines and never closes cleanly: the rest of the table is kept as this one rule',
    unterminated: false,
    last,
  };
}

/** `:NAME POLICY [packets:bytes]`; user chains have policy `-`. */
function declareChain(table: OpenTable, line: string, n: number): void {
  const space = line.indexOf(' ');
  const name = line.slice(1, space);
  if (space < 0 || name === '') fail(n, `malformed chain declaration ${quoteText(line)}`);
  const rest = line.slice(space + 1).trimStart();
  const policyEnd = rest.indexOf(' ');
  const policy = policyEnd < 0 ? rest : rest.slice(0, policyEnd);
  if (table.chains.has(name)) fail(n, `chain ${name} declared twice in table ${table.name}`);
  const builtin = policy !== '-';
  table.chains.set(name, { name, builtin, policy: builtin ? policy : null, rules: [] });
}

/** `[packets:bytes] -A ...` from `iptables-save -c`: the counters are dropped. */
function stripCounters(line: string, n: number): string {
  const close = line.indexOf(']');
  const colon = line.indexOf(':');
  if (close < 0 || colon < 0 || colon > close || !isDigits(line, 1, colon) || !isDigits(line, colon + 1, close)) {
    fail(n, `malformed counters ${quoteText(line)}`);
  }
  return line.slice(close + 1).trimStart();
}

/** Appends a rule to its chain; a table we do not keep is only checked for structure. */
function addRule(table: OpenTable, chainName: string, rule: ObservedRule, n: number, warnings: string[]): void {
  if (!table.kept) return;
  let chain = table.chains.get(chainName);
  if (!chain) {
    // nft dumps can omit a declaration; keep the rule so the plan sees it, but say so.
    warnings.push(`line ${n}: rule for undeclared chain ${chainName} in table ${table.name}`);
    const builtin = BUILTIN_CHAINS[table.name as TableName].includes(chainName);
    chain = { name: chainName, builtin, policy: builtin ? 'ACCEPT' : null, rules: [] };
    table.chains.set(chainName, chain);
  }
  chain.rules.push(rule);
}

/** canonicalRule, skipping the tokenizer for text already in canonical form (nearly every live rule). */
function canonical(ruleText: string): string | TokenizeError {
  return isCanonical(ruleText) ? ruleText : canonicalRule(ruleText);
}

const SPACE = 32;
const DQUOTE = 34;

/**
 * True when formatRuleTokens(tokenizeRule(text)) would return text unchanged: single spaces
 * between tokens, no tab, backslash or single quote, and every double-quoted string is a
 * whole token whose value needs its quotes. Anything else takes the slow, exact path.
 */
function isCanonical(text: string): boolean {
  const n = text.length;
  if (n === 0) return true;
  if (text.charCodeAt(0) === SPACE || text.charCodeAt(n - 1) === SPACE) return false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 9 /* \t */ || c === 39 /* ' */ || c === 92 /* \\ */) return false;
    if (c === SPACE && text.charCodeAt(i + 1) === SPACE) return false;
    if (c === DQUOTE) {
      if (i > 0 && text.charCodeAt(i - 1) !== SPACE) return false;
      const close = text.indexOf('"', i + 1);
      if (close < 0 || (close + 1 < n && text.charCodeAt(close + 1) !== SPACE)) return false;
      const value = text.slice(i + 1, close);
      if (value !== '' && BARE_VALUE.test(value)) return false;
      if (value.indexOf('\\') >= 0 || value.indexOf("'") >= 0) return false;
      i = close;
    }
  }
  return true;
}

/** iptables-nft may leave out a built-in chain nothing touched; it behaves as ACCEPT with no rules. */
function withBuiltins(table: OpenTable): Map<string, MutableChain> {
  if (!table.kept) return table.chains;
  for (const name of BUILTIN_CHAINS[table.name as TableName]) {
    if (!table.chains.has(name)) table.chains.set(name, { name, builtin: true, policy: 'ACCEPT', rules: [] });
  }
  return table.chains;
}

function emptyTable(table: TableName): Map<string, ObservedChain> {
  return new Map(BUILTIN_CHAINS[table].map((name) => [name, { name, builtin: true, policy: 'ACCEPT', rules: [] }]));
}

function isDigits(text: string, from: number, to: number): boolean {
  return to > from && DIGITS.test(text.slice(from, to));
}

function lineNumberAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** A short, single-line rendering of offending text for an error message. */
function quoteText(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function fail(line: number, message: string): never {
  throw new DumpError(`line ${line}: ${message}`);
}
