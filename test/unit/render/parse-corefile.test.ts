import { describe, expect, it } from 'vitest';
import { parseCorefile } from '../../../src/parse/parse-corefile.js';
import { renderCorefile } from '../../../src/render/render-corefile.js';
import { EXAMPLE_STATE } from '../../helpers/build-state.js';

// The parser lives in observe/; its tests sit here beside the Corefile render they check.
describe('parseCorefile', () => {
  it('reads the rendered example into server blocks, directives and nested policies', () => {
    const result = parseCorefile(renderCorefile(EXAMPLE_STATE));
    if (!result.ok) throw new Error(result.error);
    const blocks = result.value.serverBlocks;
    expect(blocks.map((b) => b.keys)).toEqual([['.'], ['cell'], ['lyon.cell'], ['paris.cell']]);
    expect(blocks[0]?.directives.map((d) => [d.name, ...d.args])).toEqual([
      ['forward', '.', '8.8.8.8', '1.1.1.1'],
      ['cache'],
      ['log'],
      ['health'],
    ]);
    const acl = blocks[1]?.directives.find((d) => d.name === 'acl' && d.args[0] === 'mail.cell.');
    expect(acl?.block).toEqual([
      { name: 'block', args: ['net', '10.0.0.4/32', '10.0.0.10/32', '10.0.0.11/32'], block: null, line: 18 },
    ]);
  });

  it('handles comments, quotes, one-line blocks, comma-separated keys and ports', () => {
    const text = [
      '# header',
      'example.org:53, example.net {  # two keys',
      '    rewrite name "a b.example.org" c.example.org',
      '    acl { block net 10.0.0.3 } # trailing',
      '    forward . 1.1.1.1 {',
      '        except "quoted \\"x\\""',
      '    }',
      '}',
    ].join('\n');
    const result = parseCorefile(text);
    if (!result.ok) throw new Error(result.error);
    const [block] = result.value.serverBlocks;
    expect(block?.keys).toEqual(['example.org:53', 'example.net']);
    expect(block?.directives).toEqual([
      { name: 'rewrite', args: ['name', 'a b.example.org', 'c.example.org'], block: null, line: 3 },
      { name: 'acl', args: [], block: [{ name: 'block', args: ['net', '10.0.0.3'], block: null, line: 4 }], line: 4 },
      {
        name: 'forward',
        args: ['.', '1.1.1.1'],
        block: [{ name: 'except', args: ['quoted "x"'], block: null, line: 6 }],
        line: 5,
      },
    ]);
  });

  it('reads a single server block without braces, and an empty file', () => {
    const result = parseCorefile('.\nwhoami\nlog\n');
    expect(result.ok && result.value.serverBlocks).toEqual([
      {
        keys: ['.'],
        directives: [
          { name: 'whoami', args: [], block: null, line: 2 },
          { name: 'log', args: [], block: null, line: 3 },
        ],
        line: 1,
      },
    ]);
    expect(parseCorefile('  # nothing\n')).toEqual({ ok: true, value: { serverBlocks: [] } });
  });

  it('returns errors as values', () => {
    expect(parseCorefile('. {\n  log\n')).toEqual({ ok: false, error: 'unexpected end of file: missing }' });
    expect(parseCorefile('. {\n  log "oops\n}\n')).toEqual({ ok: false, error: 'line 2: unterminated quoted string' });
    expect(parseCorefile('}\n')).toEqual({ ok: false, error: "line 1: expected a server block key, found '}'" });
  });
});
