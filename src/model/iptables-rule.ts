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

/** Split a rule line into tokens, honouring double and single quotes and backslash escapes. */
export function tokenizeRule(text: string): RuleToken[] | { error: string } {
  const tokens: RuleToken[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    let value = '';
    let quoted = false;
    while (i < n && text[i] !== ' ' && text[i] !== '\t') {
      const ch = text[i] as string;
      if (ch === '"' || ch === "'") {
        quoted = true;
        const close = ch;
        i++;
        while (i < n && text[i] !== close) {
          if (text[i] === '\\' && i + 1 < n) i++;
          value += text[i];
          i++;
        }
        if (i >= n) return { error: `unterminated quote in rule: ${text}` };
        i++;
      } else {
        value += ch;
        i++;
      }
    }
    tokens.push({ value, quoted });
  }
  return tokens;
}

export function formatRuleTokens(tokens: readonly RuleToken[]): string {
  return tokens.map((t) => (t.quoted ? quoteSaveString(t.value) : t.value)).join(' ');
}

/** The canonical text of a rule line (without `-A CHAIN`), or an error for malformed quoting. */
export function canonicalRule(text: string): string | { error: string } {
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
