/**
 * The state loader against hostile files on a real file system: every input below replaces
 * one peer's file. Nothing may throw or hang, every rejection is one line that never echoes
 * the file, and the replaced peer keeps its last good version (so its live rules stay).
 *
 * Unreadable files: the suite runs as root, so `chmod 000` blocks nothing. A real read error
 * comes from a symlink to `/proc/self/mem` (stat says a regular file, read(2) fails with EIO);
 * a FIFO and a folder where a file belongs stand for the other "cannot be read as a file" cases.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadState } from '../../src/load/load-state.js';
import type { LoadedState } from '../../src/load/loaded-state.js';
import { MAX_STATE_FILE_BYTES } from '../../src/load/read-state-dir.js';
import { formatIssue } from '../../src/text/state-issue.js';
import { CELL, ISSUE_LINE, peer } from '../unit/load/helpers.js';
import { fuzzParams } from './fuzz-settings.js';

const BOB = peer('bob', '10.0.0.3', { internet_access: false });

let root: string;
let counter = 0;

/** A fresh state dir with a cell and two peers, loaded once as the previous good state. */
async function goodDir(): Promise<{ dir: string; previous: LoadedState }> {
  counter++;
  const dir = join(root, `s${counter}`);
  await mkdir(join(dir, 'peers'), { recursive: true });
  await writeFile(join(dir, 'cell.json'), JSON.stringify(CELL));
  await writeFile(join(dir, 'peers', 'alice.json'), JSON.stringify(peer('alice', '10.0.0.2')));
  await writeFile(join(dir, 'peers', 'bob.json'), JSON.stringify(BOB));
  const previous = await loadState(dir);
  expect(previous.issues).toEqual([]);
  return { dir, previous };
}

/** Loads with `previous`; asserts one-line issues and that the state is exactly the previous one. */
async function expectKept(dir: string, previous: LoadedState, file = 'peers/bob.json'): Promise<string[]> {
  const started = performance.now();
  const loaded = await loadState(dir, { previous });
  const ms = performance.now() - started;
  expect(ms).toBeLessThan(5_000);
  const lines = loaded.issues.map(formatIssue);
  for (const line of lines) {
    expect(line).toMatch(ISSUE_LINE);
    expect(line.length).toBeLessThan(1_000);
  }
  expect(lines.some((line) => line.startsWith(`${file}: `))).toBe(true);
  expect(loaded.state).toEqual(previous.state);
  expect(loaded.fallbackFiles).toContain(file);
  return lines;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pict-hostile-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('hostile state files keep the last good version', () => {
  const bob = (dir: string) => join(dir, 'peers', 'bob.json');

  const contents: readonly { name: string; bytes: () => Buffer }[] = [
    {
      name: 'random binary',
      bytes: () =>
        Buffer.from(fc.sample(fc.uint8Array({ minLength: 4096, maxLength: 4096 }), { seed: 1, numRuns: 1 })[0] ?? []),
    },
    {
      name: 'invalid UTF-8 in a string',
      bytes: () =>
        Buffer.concat([
          Buffer.from('{"kind":"Peer","name":"b'),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('b","ip":"10.0.0.3"}'),
        ]),
    },
    { name: 'one byte over the size limit', bytes: () => Buffer.alloc(MAX_STATE_FILE_BYTES + 1, 0x20) },
    {
      name: 'arrays nested half a million deep',
      bytes: () => Buffer.from(`${'['.repeat(500_000)}${']'.repeat(500_000)}`),
    },
    {
      name: 'objects nested deep inside a field',
      bytes: () =>
        Buffer.from(
          `{"kind":"Peer","name":"bob","ip":"10.0.0.3","route_via":${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}}`,
        ),
    },
    { name: 'a BOM inside the JSON', bytes: () => Buffer.from(`{"kind":\ufeff"Peer","name":"bob","ip":"10.0.0.3"}`) },
    {
      name: 'a BOM before an invalid edit',
      bytes: () => Buffer.from(`\ufeff${JSON.stringify({ ...BOB, ip: '10.0.0.300' })}`),
    },
    {
      name: 'UTF-16 with its BOM',
      bytes: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(BOB), 'utf16le')]),
    },
    { name: 'a NUL byte after the JSON', bytes: () => Buffer.from(`${JSON.stringify(BOB)}\u0000`) },
    { name: 'two documents', bytes: () => Buffer.from(`${JSON.stringify(BOB)}\n${JSON.stringify(BOB)}`) },
    { name: 'an empty file', bytes: () => Buffer.alloc(0) },
    { name: 'only whitespace', bytes: () => Buffer.from(' \n\t\r\n') },
    {
      name: '__proto__ pollution',
      bytes: () => Buffer.from('{"kind":"Peer","name":"bob","ip":"10.0.0.3","__proto__":{"internet_access":true}}'),
    },
    {
      name: 'constructor.prototype keys',
      bytes: () =>
        Buffer.from(
          '{"kind":"CellLink","name":"bob","vpn_subnet":"10.9.0.0/24","permissions":{"inbound":{"constructor":true,"__proto__":true}}}',
        ),
    },
    {
      name: 'a duplicated key whose last value is invalid',
      bytes: () => Buffer.from('{"kind":"Peer","name":"bob","ip":"10.0.0.3","ip":"10.0.0.3 -j ACCEPT"}'),
    },
    {
      name: 'a huge number',
      bytes: () => Buffer.from(`{"kind":"Peer","name":"bob","ip":"10.0.0.3","internet_access":1${'0'.repeat(400)}}`),
    },
    {
      name: '10,000 items',
      bytes: () => Buffer.from(JSON.stringify(Array.from({ length: 10_000 }, (_, i) => peer(`p${i}`, '10.0.0.3')))),
    },
  ];
  for (const content of contents) {
    it(`${content.name}`, async () => {
      const { dir, previous } = await goodDir();
      await writeFile(bob(dir), content.bytes());
      await expectKept(dir, previous);
    });
  }

  it('a sparse 4 GiB file is refused by its size, without reading it', async () => {
    const { dir, previous } = await goodDir();
    const handle = await open(bob(dir), 'w');
    await handle.truncate(4 * 1024 ** 3);
    await handle.close();
    expect(await expectKept(dir, previous)).toContain(
      `peers/bob.json: /: file is larger than ${MAX_STATE_FILE_BYTES} bytes`,
    );
  });

  it('a FIFO named like a state file is never opened (it would block forever)', async () => {
    const { dir, previous } = await goodDir();
    await rm(bob(dir));
    execFileSync('mkfifo', [bob(dir)]);
    expect(await expectKept(dir, previous)).toContain('peers/bob.json: /: is not a regular file');
  });

  it('a folder where a file belongs', async () => {
    const { dir, previous } = await goodDir();
    await rm(bob(dir));
    await mkdir(bob(dir));
    await writeFile(join(bob(dir), 'inner.json'), JSON.stringify(peer('mallory', '10.0.0.9')));
    expect(await expectKept(dir, previous)).toContain('peers/bob.json: /: is a folder, expected a file');
  });

  it('a file that cannot be read (EIO from /proc/self/mem; root ignores chmod 000)', async () => {
    const { dir, previous } = await goodDir();
    await rm(bob(dir));
    await symlink('/proc/self/mem', bob(dir));
    expect(await expectKept(dir, previous)).toContain('peers/bob.json: /: cannot read: EIO');
  });

  it('a symlink that loops on itself, and a folder symlink loop', async () => {
    const { dir, previous } = await goodDir();
    await rm(bob(dir));
    await symlink(bob(dir), bob(dir));
    await symlink('..', join(dir, 'peers', 'up'));
    await symlink(join(dir, 'peers'), join(dir, 'peers', 'again'));
    expect(await expectKept(dir, previous)).toContain('peers/bob.json: /: cannot follow symlink: ELOOP');
  });

  it('a symlink out of the state dir is read but never echoed', async () => {
    const { dir, previous } = await goodDir();
    await rm(bob(dir));
    await symlink('/etc/passwd', bob(dir));
    const lines = await expectKept(dir, previous);
    expect(lines.join('\n')).not.toMatch(/root|:x:|nologin/);
  });

  it('hostile file names are escaped onto one line', async () => {
    const { dir, previous } = await goodDir();
    const names = ['a\nb.json', '-j ACCEPT.json', 'x\u001b[31mred.json', `${'n'.repeat(250)}.json`, 'é\u202ertl.json'];
    for (const name of names) await writeFile(join(dir, 'peers', name), '{oops');
    const loaded = await loadState(dir, { previous });
    const lines = loaded.issues.map(formatIssue);
    expect(lines).toHaveLength(names.length);
    for (const line of lines) expect(line).toMatch(ISSUE_LINE);
    expect(lines.join('\n')).not.toContain('\u001b');
    expect(loaded.state).toEqual(previous.state);
  });

  it('a valid edit through a BOM or a duplicated key is still an edit (JSON.parse: the last key wins)', async () => {
    const { dir, previous } = await goodDir();
    await writeFile(
      bob(dir),
      `\ufeff{"kind":"Peer","name":"bob","ip":"10.0.0.3","internet_access":false,"internet_access":true}`,
    );
    const loaded = await loadState(dir, { previous });
    expect(loaded.issues).toEqual([]);
    expect(loaded.state?.peers.find((p) => p.name === 'bob')?.internet_access).toBe(true);
  });

  it('random bytes written to disk never throw and never change the state', async () => {
    const { dir, previous } = await goodDir();
    const valid = Buffer.from(JSON.stringify(BOB));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
          // A good file with a few bytes flipped: close to valid, the hardest case.
          fc
            .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 })
            .map((flips) => {
              const copy = Buffer.from(valid);
              for (const [at, xor] of flips) copy[at] = (copy[at] ?? 0) ^ xor;
              return copy;
            }),
        ),
        async (bytes) => {
          await writeFile(bob(dir), bytes);
          const loaded = await loadState(dir, { previous });
          for (const issue of loaded.issues) expect(formatIssue(issue)).toMatch(ISSUE_LINE);
          // A rejected file changes nothing; a flip that still validates is an edit of bob's file only.
          if (loaded.issues.length > 0) expect(loaded.state).toEqual(previous.state);
          expect(loaded.state?.cell).toEqual(previous.state?.cell);
          expect(loaded.state?.peers.find((p) => p.name === 'alice')).toEqual(
            previous.state?.peers.find((p) => p.name === 'alice'),
          );
        },
      ),
      fuzzParams(150),
    );
  });
});
