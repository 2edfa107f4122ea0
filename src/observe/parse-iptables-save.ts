import { canonicalRule } from '../model/iptables-rule.js';
import { BUILTIN_CHAINS, TABLES } from '../model/iptables.js';
import type { ObservedChain, ObservedIptables, ObservedTable, TableName } from '../model/iptables.js';

/**
 * Parses `iptables-save` output (nft or legacy, with or without `-c`) into the
 * observed model of the `filter` and `nat` tables.
 *
 * - Rules are normalised with canonicalRule, so they compare equal to rendered text.
 * - Other tables are checked for structure but not kept.
 * - A table absent from the dump (a fresh namespace prints nothing at all) reads as
 *   its built-in chains with policy ACCEPT and no rules: what the kernel does then.
 * - Anything that makes the dump untrustworthy (a table without COMMIT, a line
 *   outside a table, broken quoting, binary data) is an error naming the line,
 *   because planning against a partial dump would delete live rules.
 *
 * One pass over the lines, dispatching on the first character; no regex per line.
 */
export type ParseIptablesResult =
  | { readonly ok: true; readonly value: ObservedIptables; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly error: string };

/** Tables iptables-save can print; any other header means the text is not a dump. */
const KNOWN_TABLES: ReadonlySet<string> = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
const KEPT_TABLES: ReadonlySet<string> = new Set<string>(TABLES);

/** Control characters other than tab, LF and CR never appear in a dump. */
const BINARY = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
/** A value iptables-save prints without quotes (xtables_save_string). */
const BARE_VALUE = /^[A-Za-z0-9_-]+$/;

interface MutableChain {
  name: string;
  builtin: boolean;
  policy: string | null;
  rules: string[];
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
  const binary = BINARY.exec(text);
  if (binary) return { ok: false, error: `line ${lineNumberAt(text, binary.index)}: binary data (control character 0x${binary[0].charCodeAt(0).toString(16).padStart(2, '0')})` };
  try {
    return parseLines(text.split('\n'));
  } catch (error) {
    if (error instanceof DumpError) return { ok: false, error: error.message };
    throw error;
  }
}

function parseLines(lines: readonly string[]): ParseIptablesResult {
  const tables = new Map<string, Map<string, MutableChain>>();
  const warnings: string[] = [];
  let open: OpenTable | null = null;

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = (lines[i] as string).trim();
    if (line === '' || line.charCodeAt(0) === 35 /* # */) continue;
    if (line === 'COMMIT') {
      if (!open) fail(n, 'COMMIT outside a table');
      tables.set(open.name, withBuiltins(open));
      open = null;
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
        break;
      case '[':
      case '-':
        if (!open) fail(n, `rule outside a table: ${quoteText(line)}`);
        appendRule(open, line[0] === '[' ? stripCounters(line, n) : line, n, warnings);
        break;
      default:
        fail(n, `unexpected line ${quoteText(line)}`);
    }
  }
  if (open) fail(lines.at(-1) === '' ? lines.length - 1 : lines.length, `table ${open.name} (line ${open.line}) has no COMMIT: truncated dump`);

  const table = (name: TableName): ObservedTable => ({ chains: tables.get(name) ?? emptyTable(name) });
  return { ok: true, value: { filter: table('filter'), nat: table('nat') }, warnings };
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

/** `-A CHAIN rule...` */
function appendRule(table: OpenTable, line: string, n: number, warnings: string[]): void {
  if (!line.startsWith('-A ')) fail(n, `unexpected line ${quoteText(line)}`);
  const rest = line.slice(3).trimStart();
  const space = rest.indexOf(' ');
  const chainName = space < 0 ? rest : rest.slice(0, space);
  if (chainName === '') fail(n, '-A without a chain name');
  if (!table.kept) return;
  const ruleText = space < 0 ? '' : rest.slice(space + 1);
  const rule = canonical(ruleText);
  if (typeof rule !== 'string') fail(n, `chain ${chainName}: ${rule.error.split('\n')[0]?.slice(0, 160) ?? ''}`);
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
function canonical(ruleText: string): string | { error: string } {
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
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
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
