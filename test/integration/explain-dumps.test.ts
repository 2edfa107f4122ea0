import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { useTempDir } from '../helpers/temp-dir.js';

/**
 * `explain --from-dump` on saved cells the kernel would never hold: the built CLI answers, and
 * quickly. The saved cell is the foreign-cell fixture (state/ rendered among Docker's and
 * wg-quick's rules) with one change.
 */
const FIXTURE = join(import.meta.dirname, '../fixtures/access/foreign-cell');
/** Far above an answer's time, far below vitest's: a hang fails here instead of stalling the run. */
const ANSWER_MS = 15_000;

const explain = (saved: string, from: string, to: string, ...flags: string[]) =>
  runCli(['explain', '--state', 'state', '--from-dump', saved, '--from', from, '--to', to, ...flags], {
    timeoutMs: ANSWER_MS,
  });

describe('explain --from-dump on a dump that loops', () => {
  const dir = useTempDir('pict-loop-');

  async function savedCell(edit: (file: string, text: string) => string): Promise<string> {
    for (const file of ['iptables-save.txt', 'ip-rule.json', 'ip-route.json', 'api-ip.txt']) {
      const text = await readFile(join(FIXTURE, file), 'utf8');
      const edited = edit(file, text);
      if (edited === text) await copyFile(join(FIXTURE, file), join(dir(), file));
      else await writeFile(join(dir(), file), edited);
    }
    return dir();
  }

  it('a -g loop ahead of our jump: unknown, naming the loop, in text and JSON', async () => {
    const saved = await savedCell((file, text) =>
      file === 'iptables-save.txt'
        ? text
            .replace(':DOCKER - [0:0]\n', ':DOCKER - [0:0]\n:LOOP-A - [0:0]\n:LOOP-B - [0:0]\n')
            .replace(
              '-A FORWARD -m comment --comment "pic:jump" -j PIC-FORWARD\n',
              '-A FORWARD -j LOOP-A\n-A FORWARD -m comment --comment "pic:jump" -j PIC-FORWARD\n-A LOOP-A -g LOOP-B\n-A LOOP-B -g LOOP-A\n',
            )
        : text,
    );
    const text = await explain(saved, 'bob', 'mail');
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('reaches: unknown — loop at filter LOOP-B rule 1: -g LOOP-A enters a chain');
    const json = await explain(saved, 'bob', 'mail', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      verdict: 'unknown',
      reaches: null,
      decided_by: { chain: 'LOOP-B', index: 1, rule: '-g LOOP-A' },
    });
  });

  it('an ip rule goto backwards: unknown, loop at that rule', async () => {
    const saved = await savedCell((file, text) =>
      file === 'ip-rule.json'
        ? text.replace(
            '{ "priority": 32766,',
            '{ "priority": 20000, "src": "all", "action": "nop" },\n  { "priority": 20001, "src": "all", "goto": 20000 },\n  { "priority": 32766,',
          )
        : text,
    );
    const answer = await explain(saved, 'bob', 'mail');
    expect(answer.code).toBe(0);
    expect(answer.stdout).toContain(
      'reaches: unknown — routing: loop at ip rule 20001: goto 20000 does not go forward',
    );
  });

  it('a filter table iptables-nft-save prints only as incompatible: unknown, the blind spot in text and JSON', async () => {
    const saved = await savedCell((file, text) => {
      if (file !== 'iptables-save.txt') return text;
      const start = text.indexOf('*filter\n');
      const end = text.indexOf('COMMIT\n', start) + 'COMMIT\n'.length;
      return `${text.slice(0, start)}# Table \`filter' is incompatible, use 'nft' tool.\n${text.slice(end)}`;
    });
    const text = await explain(saved, 'bob', 'mail');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('      blind spot: dump: table filter is incompatible');
    expect(text.stdout).toMatch(/reaches: unknown — dump: table filter is incompatible/);
    const json = JSON.parse((await explain(saved, 'bob', 'mail', '--json')).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ verdict: 'unknown', reaches: null });
    expect(json['blind_spots']).toEqual([expect.stringMatching(/^dump: table filter is incompatible/)]);
  });
});
