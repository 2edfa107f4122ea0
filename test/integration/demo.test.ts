import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LOCK_DIR } from '../../src/config/controller-config.js';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DesiredState } from '../../src/model/desired-state.js';
import { run } from '../../src/testbed/netns.js';
import { expectedReachability } from '../../src/testbed/expected-reachability.js';
import { REPO_ROOT, builtEntry } from '../helpers/build-dist.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { loadValidState } from '../helpers/testbed.js';

requirePrerequisites(['root', 'iptables', 'ip']);

interface Demo {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  stdout: string;
  stderr: string;
  /** Resolves when stdout or stderr has shown `text`. */
  shown(text: string): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/** The demo as a user runs it after `npm run build` (`npm run demo -- ARGS` is `node dist/demo/main.js ARGS`). */
function startDemo(args: readonly string[]): Demo {
  const child = spawn(process.execPath, [builtEntry('demo/main.js'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const waiting: { text: string; done: () => void }[] = [];
  const demo: Demo = {
    pid: child.pid ?? -1,
    exited: new Promise((done) => child.on('exit', (code, signal) => done({ code, signal }))),
    stdout: '',
    stderr: '',
    shown: (text) => new Promise((done) => waiting.push({ text, done })),
    kill: (signal) => child.kill(signal),
  };
  const check = (): void => {
    for (const w of waiting.filter((w) => demo.stdout.includes(w.text) || demo.stderr.includes(w.text))) w.done();
  };
  child.stdout.on('data', (chunk: Buffer) => ((demo.stdout += chunk.toString()), check()));
  child.stderr.on('data', (chunk: Buffer) => ((demo.stderr += chunk.toString()), check()));
  return demo;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The demo process's namespaces still in the kernel (the testbed names them pict-<pid>-<n>). */
async function leftNamespaces(pid: number): Promise<string[]> {
  const list = await run(['ip', 'netns', 'list']);
  return list.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`pict-${pid}-`));
}

/** The printed table read back: source → column (`peer:<name>` for peers) → the printed value. */
function parseTable(text: string, state: DesiredState): Map<string, Map<string, string>> {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('source '));
  const tokens = (line: string): string[] => line.split(/\s+/).filter((t) => t !== '|' && t !== '');
  const peers = new Set(state.peers.map((p) => p.name));
  const header = tokens(lines[start] ?? '').map((h, i) => (i > 0 && peers.has(h) ? `peer:${h}` : h));
  expect(lines[start + 1]).toMatch(/^-+$/);
  const rows = new Map<string, Map<string, string>>();
  for (const line of lines.slice(start + 2)) {
    if (line.trim() === '') break;
    const [source = '', ...cells] = tokens(line);
    rows.set(source, new Map(cells.map((cell, i) => [header[i + 1] ?? `?${i}`, cell])));
  }
  return rows;
}

/**
 * The config file and the commands the demo printed, run exactly as printed (by sh, from the
 * folder the demo was started in) while it runs: each exits 0 and answers about the demo's cell.
 */
async function runPrintedCommands(demo: Demo, port: number): Promise<void> {
  const lines = demo.stdout.split('\n');
  const ask = lines.findIndex((l) => l.startsWith('Ask, as root, while the demo runs (config '));
  expect(ask).toBeGreaterThan(0);
  const configFile = /\(config (\S+), written by the demo/.exec(lines[ask] ?? '')?.[1] ?? '';
  const config = JSON.parse(await readFile(configFile, 'utf8')) as { targets: Record<string, string> };
  expect(config.targets['wireguard']).toMatch(new RegExp(`^netns:pict-${demo.pid}-\\d+$`));
  const printed = lines
    .slice(ask + 1)
    .filter((l) => l.startsWith('      '))
    .map((l) => l.trim());
  const commands = printed.filter((l) => l.startsWith('npx pic-reconciler '));
  expect(commands.map((c) => c.split(' ')[2])).toEqual(['explain', 'access', 'status']);
  // The explain under the table names the same command as the list.
  expect(demo.stdout).toContain(`Why bob cannot reach files (${commands[0]}):\n`);
  const outputs: string[] = [];
  for (const command of commands) {
    const result = await run(['sh', '-c', command]);
    expect({ command, code: result.code, stderr: result.stderr }).toEqual({
      command,
      code: 0,
      stderr: expect.any(String),
    });
    outputs.push(result.stdout);
  }
  expect(outputs[0]).toMatch(/^reaches: no — dropped at PIC-PEER-10-0-0-3 rule \d+$/m);
  expect(outputs[1]).toMatch(/^bob {2,}yes {2,}no /m);
  expect(outputs[2]).toMatch(/^last reconcile .*: converged in \d+ ms/m);
  const page = `http://127.0.0.1:${port}/`;
  expect(printed).toContain(`open ${page}`);
  const response = await fetch(page);
  expect(response.status).toBe(200);
  expect(await response.text()).toMatch(/^<!doctype html>/i);
}

describe('the demo (npm run demo), run as a user would', () => {
  it('--once prints a table that matches the example state, exits 0 and leaves no namespace', async () => {
    const state = await loadValidState('state');
    const port = await freePort();
    const demo = startDemo(['--once', '--listen', `127.0.0.1:${port}`]);
    const { code } = await demo.exited;
    expect(demo.stderr).not.toMatch(/error|fail/i);
    expect(code).toBe(0);
    expect(demo.stdout).toMatch(
      /^pic-reconciler demo: cell "home" \(domain cell\), 5 peers, 2 linked cells, built of \d+ network namespaces\n/,
    );
    expect(demo.stdout).toMatch(
      new RegExp(
        `^controller: reconcile \\S+ converged in \\d+ ms; .* the page at http://127\\.0\\.0\\.1:${port}/ `,
        'm',
      ),
    );
    expect(demo.stdout).toMatch(/^yes\/no: a TCP connection/m);
    expect(demo.stdout).toContain('\nEvery cell matches the desired state.\n');
    // One explain of a denied pair, under the table: bob may not use files; his chain's last rule drops it.
    // --once exits at once, so it prints no command that would then fail.
    expect(demo.stdout).toContain('Why bob cannot reach files:\nbob (10.0.0.3) → files (');
    expect(demo.stdout).not.toContain('npx pic-reconciler');
    expect(demo.stdout).toMatch(/verdict: drop at filter PIC-PEER-10-0-0-3 rule \d+ \(pic\)/);
    expect(demo.stdout).toMatch(/reaches: no — /);

    const table = parseTable(demo.stdout, state);
    const expected = expectedReachability(state);
    expect([...table.keys()]).toEqual(expected.map((row) => row.source));
    for (const row of expected) {
      const printed = table.get(row.source);
      const want = new Map(
        Object.entries(row.cells).map(([column, value]) => [
          column,
          value === null ? 'no' : column === 'internet' ? value : 'yes',
        ]),
      );
      for (const peer of state.peers) if (peer.name === row.source) want.set(`peer:${peer.name}`, '-');
      expect(Object.fromEntries(printed ?? [])).toEqual(Object.fromEntries(want));
    }
    expect(await leftNamespaces(demo.pid)).toEqual([]);
  });

  it('while it watches, the commands it prints run as printed; SIGTERM then, or SIGINT while it builds, removes every namespace', async () => {
    const port = await freePort();
    const watching = startDemo(['--listen', `127.0.0.1:${port}`]);
    await watching.shown('Ctrl-C stops the controller');
    expect(watching.stdout).toContain('Try:  edit state/peers/bob.json: set "internet_access": true');
    await runPrintedCommands(watching, port);
    expect((await leftNamespaces(watching.pid)).length).toBeGreaterThan(5);
    // The demo holds its cell's lock like run: an apply aimed at the demo's cell is refused, naming it.
    const holder = (await readdir(DEFAULT_LOCK_DIR)).filter((name) => name.endsWith('.holder.json'));
    const records = await Promise.all(
      holder.map(
        async (name) =>
          JSON.parse(await readFile(join(DEFAULT_LOCK_DIR, name), 'utf8')) as {
            locator: string;
            identity: { pid: number };
          },
      ),
    );
    const demoCell = records.find((record) => record.identity.pid === watching.pid);
    if (demoCell === undefined) throw new Error(`the demo (pid ${watching.pid}) holds no cell lock`);
    const work = await mkdtemp(join(tmpdir(), 'pict-demo-apply-'));
    try {
      const config = join(work, 'config.json');
      const wireguard = demoCell.locator;
      await writeFile(
        config,
        JSON.stringify({
          targets: { wireguard, caddy: wireguard, api: 'ip:10.0.0.2', dns: 'none' },
          corefile: join(work, 'Corefile'),
          status_dir: join(work, 'status'),
        }),
      );
      const apply = spawnSync(
        process.execPath,
        [builtEntry('cli/main.js'), 'apply', '--state', 'state', '--config', config],
        { cwd: REPO_ROOT, encoding: 'utf8' },
      );
      expect(apply.status).toBe(1);
      expect(apply.stderr).toContain(`another writer holds this cell: pid ${watching.pid} (`);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    watching.kill('SIGTERM');
    expect(await watching.exited).toEqual({ code: 0, signal: null });
    expect(await leftNamespaces(watching.pid)).toEqual([]);

    const building = startDemo(['--listen', `127.0.0.1:${await freePort()}`]);
    await building.shown('building a cell of network namespaces');
    await new Promise((done) => setTimeout(done, 300));
    building.kill('SIGINT');
    expect((await building.exited).code).toBe(0);
    expect(building.stdout).toBe('');
    expect(await leftNamespaces(building.pid)).toEqual([]);
  });
});
