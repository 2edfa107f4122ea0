import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { formatIssue, stateIssue } from '../../../src/text/state-issue.js';
import { ESCAPE_FOR_TERMINAL } from '../../../src/loop/logger.js';
import { escapeDeep, escapeLines, escapeUntrusted } from '../../../src/text/escape-untrusted.js';

/** Every character a terminal may act on instead of print. */
const DANGEROUS =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

describe('escapeUntrusted', () => {
  it('escapes terminal escapes, bidi overrides and zero-width characters, and leaves other text alone', () => {
    expect(escapeUntrusted('\u001b[31mred\u001b[0m')).toBe('\\u001b[31mred\\u001b[0m');
    expect(escapeUntrusted('evil\u202etxt.json')).toBe('evil\\u202etxt.json');
    expect(escapeUntrusted('a\u200bb\ufeffc\u2066d\u2069')).toBe('a\\u200bb\\ufeffc\\u2066d\\u2069');
    expect(escapeUntrusted('\u009b2J line\nnext\ttab')).toBe('\\u009b2J line\\nnext\\ttab');
    expect(escapeUntrusted('café ünïcode 中文 ok')).toBe('café ünïcode 中文 ok');
  });

  it('leaves no dangerous character in any string (every code point below U+10000)', () => {
    let all = '';
    for (let c = 0; c < 0x10000; c++) if (c < 0xd800 || c > 0xdfff) all += String.fromCharCode(c);
    expect(DANGEROUS.test(escapeUntrusted(all))).toBe(false);
    expect(escapeLines('ok\n\u001b]0;title\u0007\nend')).toBe('ok\n\\u001b]0;title\\u0007\nend');
  });

  it('escapes nested strings of a log record, an error’s message included', () => {
    const record = escapeDeep({ errors: ['\u001b[2J'], err: new Error('stderr: \u202eoops'), n: 1 }) as {
      errors: string[];
      err: { message: string };
      n: number;
    };
    expect(record.errors).toEqual(['\\u001b[2J']);
    expect(record.err.message).toBe('stderr: \\u202eoops');
    expect(record.n).toBe(1);
  });

  it('state issues escape file names and messages for text output', () => {
    const issue = stateIssue('peers/\u202egnp.json', '/ip', 'bad \u001b[31m value \u200b');
    const line = formatIssue({ ...issue, file: 'peers/\u202egnp\u001b[1m.json' });
    expect(line).toBe('peers/\\u202egnp\\u001b[1m.json: /ip: bad \\u001b[31m value \\u200b');
    expect(DANGEROUS.test(line)).toBe(false);
  });

  it('the terminal logger escapes the message and every field before pino-pretty sees them', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString('utf8')), done()) });
    const logger = pino({ ...ESCAPE_FOR_TERMINAL }, sink);
    logger
      .child({ reconcile: 'ab' })
      .warn({ stderr: 'iptables: \u001b[2Jgone', list: ['\u202e'] }, 'apply failed on \u001b]8;;http://x\u0007 link');
    const [line] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line?.['msg']).toBe('apply failed on \\u001b]8;;http://x\\u0007 link');
    expect(line?.['stderr']).toBe('iptables: \\u001b[2Jgone');
    expect(line?.['list']).toEqual(['\\u202e']);
  });
});
