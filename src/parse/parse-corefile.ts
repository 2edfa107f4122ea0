/**
 * A Corefile as plain data, parsed the way CoreDNS's Caddyfile parser reads it
 * (github.com/coredns/caddy, caddyfile/lexer.go and parse.go): tokens split on
 * whitespace, `"` quotes a token (only `\"` is an escape), `#` comments out the rest of
 * the line, a directive runs to the end of its line, and a `{` opens a block whose
 * lines are sub-directives. Imports are kept as `import` directives, not expanded.
 */

export interface CorefileDirective {
  readonly name: string;
  readonly args: readonly string[];
  /** The lines of the directive's `{ }` block, or null when it has none. */
  readonly block: readonly CorefileDirective[] | null;
  readonly line: number;
}

export interface CorefileServerBlock {
  /** As written, e.g. `.`, `cell`, `dns://example.org:53`; a snippet's key is `(name)`. */
  readonly keys: readonly string[];
  readonly directives: readonly CorefileDirective[];
  readonly line: number;
}

export interface Corefile {
  readonly serverBlocks: readonly CorefileServerBlock[];
}

export type ParseCorefileResult =
  { readonly ok: true; readonly value: Corefile } | { readonly ok: false; readonly error: string };

interface Token {
  readonly text: string;
  readonly line: number;
  /** The line the token ends on: a quoted token may span lines. */
  readonly endLine: number;
}

function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '\n') {
      line++;
      i++;
    } else if (/\s/.test(ch)) {
      i++;
    } else if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '"') {
      const start = line;
      let value = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && text[i + 1] === '"') i++;
        if (text[i] === '\n') line++;
        value += text[i];
        i++;
      }
      if (i >= text.length) return `line ${start}: unterminated quoted string`;
      i++;
      tokens.push({ text: value, line: start, endLine: line });
    } else {
      let value = '';
      // A `#` ends the token and starts a comment, as in the Caddy lexer.
      while (i < text.length && !/\s/.test(text[i] as string) && text[i] !== '#') {
        value += text[i];
        i++;
      }
      tokens.push({ text: value, line, endLine: line });
    }
  }
  return tokens;
}

/**
 * Deepest block nesting accepted. CoreDNS's own Corefiles nest two or three levels; the
 * bound keeps a hostile file (`{{{{…`) from exhausting the stack of this recursive parser.
 */
export const MAX_COREFILE_NESTING = 64;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  /** True when the token at the cursor starts a new line. */
  private atNewLine(): boolean {
    const prev = this.tokens[this.i - 1];
    const cur = this.tokens[this.i];
    return prev === undefined || cur === undefined || cur.line > prev.endLine;
  }

  serverBlocks(): CorefileServerBlock[] | string {
    const blocks: CorefileServerBlock[] = [];
    for (let first = this.peek(); first !== undefined; first = this.peek()) {
      if (first.text === '{' || first.text === '}')
        return `line ${first.line}: expected a server block key, found '${first.text}'`;
      const keys = this.keys();
      const open = this.peek();
      const braced = open?.text === '{';
      if (braced) this.i++;
      const directives = this.directives(braced);
      if (typeof directives === 'string') return directives;
      blocks.push({ keys, directives, line: first.line });
    }
    return blocks;
  }

  /** Keys run to the end of the line, or on to the next line after a trailing comma. */
  private keys(): string[] {
    const keys: string[] = [];
    let continued = true;
    while (this.i < this.tokens.length) {
      const tok = this.tokens[this.i] as Token;
      if (tok.text === '{' || (keys.length > 0 && !continued && this.atNewLine())) break;
      continued = tok.text.endsWith(',');
      const key = continued ? tok.text.slice(0, -1) : tok.text;
      if (key !== '') keys.push(key);
      this.i++;
    }
    return keys;
  }

  /** Directives up to the closing `}` (braced) or the end of the input. */
  private directives(braced: boolean): CorefileDirective[] | string {
    const directives: CorefileDirective[] = [];
    for (let tok = this.peek(); tok !== undefined; tok = this.peek()) {
      if (tok.text === '}') {
        if (!braced) return `line ${tok.line}: unexpected '}'`;
        this.i++;
        return directives;
      }
      const directive = this.directive();
      if (typeof directive === 'string') return directive;
      directives.push(directive);
    }
    return braced ? 'unexpected end of file: missing }' : directives;
  }

  private directive(): CorefileDirective | string {
    const head = this.tokens[this.i] as Token;
    this.i++;
    const args: string[] = [];
    let block: CorefileDirective[] | null = null;
    for (let tok = this.peek(); tok !== undefined; tok = this.peek()) {
      // Like Caddy, a `{` opens the directive's block even on the next line.
      if (tok.text === '{') {
        if (this.depth >= MAX_COREFILE_NESTING)
          return `line ${tok.line}: blocks nested deeper than ${MAX_COREFILE_NESTING}`;
        this.i++;
        this.depth++;
        const nested = this.directives(true);
        this.depth--;
        if (typeof nested === 'string') return nested;
        block = nested;
        break;
      }
      if (tok.text === '}' || this.atNewLine()) break;
      args.push(tok.text);
      this.i++;
    }
    return { name: head.text, args, block, line: head.line };
  }
}

/** Parses any Corefile; malformed input yields an error value with its line, never a throw. */
export function parseCorefile(text: string): ParseCorefileResult {
  const tokens = tokenize(text);
  if (typeof tokens === 'string') return { ok: false, error: tokens };
  const blocks = new Parser(tokens).serverBlocks();
  return typeof blocks === 'string' ? { ok: false, error: blocks } : { ok: true, value: { serverBlocks: blocks } };
}
