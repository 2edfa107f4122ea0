/**
 * The canonical text of an iptables rule, as `iptables-save` prints it.
 *
 * iptables-save quotes a string argument (comments, log prefixes) only when it holds
 * a character outside [A-Za-z0-9_-], escaping `"`, `\` and `'` (xtables_save_string in
 * libxtables). Render quotes the same way, and the parser re-quotes every token it found
 * quoted, so legacy and nft dumps compare equal to what we render.
 */

const BARE = /^[A-Za-z0-9_-]+$/;

/** Quote a string argument exactly as xtables_save_string does. */
export function quoteSaveString(value: string): string {
  if (BARE.test(value)) return value;
  return `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

export interface RuleToken {
  readonly value: string;
  readonly quoted: boolean;
}

/** Why a rule's text cannot be split; `unterminated` when a quoted argument is still open at the end. */
export interface TokenizeError {
  readonly error: string;
  readonly unterminated: boolean;
}

/** Options whose value iptables-save prints bare, never quoted: an interface may be named `"`. */
const BARE_VALUE_OPTIONS: ReadonlySet<string> = new Set([
  '-i',
  '-o',
  '--in-interface',
  '--out-interface',
  '--physdev-in',
  '--physdev-out',
  '-j',
  '-g',
]);

/**
 * Split a rule line into tokens as iptables-save writes them: a `"` opens a quoted argument
 * only at the start of a token (xtables_save_string quotes whole arguments), with `\` escaping
 * the next character, and must be followed by a separator. Anywhere else, and in the value of
 * an option printed bare (an interface, a target), `"` and `'` are plain characters: an
 * interface may be named `a"b`, `a'b` or `"`, and iptables-save prints it as it is.
 */
export function tokenizeRule(text: string): RuleToken[] | TokenizeError {
  const tokens: RuleToken[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    if (isSeparator(text[i])) {
      i++;
      continue;
    }
    let value = '';
    const previous = tokens.at(-1);
    const bare = previous !== undefined && !previous.quoted && BARE_VALUE_OPTIONS.has(previous.value);
    if (text[i] === '"' && !bare) {
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < n) i++;
        value += text[i];
        i++;
      }
      if (i >= n) return { error: `unterminated quote in rule: ${text}`, unterminated: true };
      i++;
      if (i < n && !isSeparator(text[i]))
        return { error: `text right after a closing quote in rule: ${text}`, unterminated: false };
      tokens.push({ value, quoted: true });
      continue;
    }
    while (i < n && !isSeparator(text[i])) {
      value += text[i];
      i++;
    }
    tokens.push({ value, quoted: false });
  }
  return tokens;
}

function isSeparator(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

export function formatRuleTokens(tokens: readonly RuleToken[]): string {
  return tokens.map((t) => (t.quoted ? quoteSaveString(t.value) : t.value)).join(' ');
}

/** The canonical text of a rule line (without `-A CHAIN`), or an error for malformed quoting. */
export function canonicalRule(text: string): string | TokenizeError {
  const tokens = tokenizeRule(text);
  return 'error' in tokens ? tokens : formatRuleTokens(tokens);
}

/** The value of `--comment` in a canonical rule, or null. */
export function ruleComment(rule: string): string | null {
  const tokens = tokenizeRule(rule);
  if ('error' in tokens) return null;
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (tokens[i]?.value === '--comment' && !tokens[i]?.quoted) return tokens[i + 1]?.value ?? null;
  }
  return null;
}

/** The target of `-j` in a canonical rule, or null. */
export function ruleTarget(rule: string): string | null {
  const m = / -j (\S+)/.exec(` ${rule}`);
  return m?.[1] ?? null;
}
