import { describe, expect, it } from 'vitest';
import { MAX_PENDING_CHARS, splitJsonObjects } from '../../../src/targets/split-json-objects.js';

/** Feeds `text` in pieces cut at `cuts` and returns every object found. */
function objectsOf(text: string, cuts: readonly number[] = []): unknown[] {
  const found: unknown[] = [];
  let pending = '';
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    const split = splitJsonObjects(pending, text.slice(from, cut));
    found.push(...split.objects);
    pending = split.rest;
    from = cut;
  }
  return found;
}

const EVENTS = [
  { Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: { name: 'cell-wireguard', note: 'braces } { and "quotes" \\ here' } } },
  { Type: 'network', Action: 'connect', Actor: { ID: 'net', Attributes: { container: 'abc' } } },
  { Type: 'container', Action: 'die', Actor: { ID: 'def', Attributes: { name: 'cell-caddy', exitCode: '137' } } },
];

describe('splitJsonObjects', () => {
  it('reads newline-delimited objects', () => {
    expect(objectsOf(EVENTS.map((e) => `${JSON.stringify(e)}\n`).join(''))).toEqual(EVENTS);
  });

  it('reads objects simply concatenated, or with other whitespace between them', () => {
    expect(objectsOf(EVENTS.map((e) => JSON.stringify(e)).join(''))).toEqual(EVENTS);
    expect(objectsOf(EVENTS.map((e) => JSON.stringify(e, null, 2)).join('\r\n \t'))).toEqual(EVENTS);
  });

  it('finds the same objects wherever the chunks are cut', () => {
    const text = EVENTS.map((e) => `${JSON.stringify(e)}\n`).join('');
    for (let cut = 1; cut < text.length; cut++) expect(objectsOf(text, [cut])).toEqual(EVENTS);
    expect(objectsOf(text, Array.from({ length: text.length - 1 }, (_, i) => i + 1))).toEqual(EVENTS);
  });

  it('keeps an unfinished object for the next chunk and returns nothing for it yet', () => {
    const text = JSON.stringify(EVENTS[0]);
    const split = splitJsonObjects('', `  ${text.slice(0, 20)}`);
    expect(split.objects).toEqual([]);
    expect(split.rest).toBe(text.slice(0, 20));
  });

  it('skips a broken object and stray text between objects, and keeps going', () => {
    expect(objectsOf(`garbage {"a": tru} ] ${JSON.stringify(EVENTS[1])}\n`)).toEqual([EVENTS[1]]);
  });

  it('drops an object that never closes once it passes the limit', () => {
    const split = splitJsonObjects('', `{"a":"${'x'.repeat(MAX_PENDING_CHARS)}`);
    expect(split).toEqual({ objects: [], rest: '' });
  });
});
