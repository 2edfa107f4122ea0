import { execFile } from 'node:child_process';
import { cp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerConfig } from '../../src/config/controller-config.js';
import { Controller } from '../../src/loop/controller.js';
import { conditionOf, type ControllerStatus } from '../../src/status/controller-status.js';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { cleanupNamespaces, nsRunOk, probe, type Endpoint } from '../../src/testbed/netns.js';
import { compareMatrix, probeMatrix } from '../../src/testbed/probe-matrix.js';
import { INTERNET_IP, SERVICE_PORT } from '../../src/testbed/testbed-cell.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { createTestbed, loadValidState, type TestbedFixture } from '../helpers/testbed.js';
import { waitFor } from '../helpers/wait-for.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);
const execFileAsync = promisify(execFile);

interface LogLine {
  readonly msg: string;
  readonly reconcile?: string;
  readonly result?: string;
  readonly trigger?: readonly string[];
  readonly file?: string;
  readonly durationMs?: number;
}

/** Real pino, writing JSON lines into memory so the test can read what the controller logged. */
function memoryLogger() {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

const PASS_MESSAGES = new Set([
  'reconcile converged',
  'reconcile not converged',
  'reconcile held back by the mass-delete guard',
]);
const isPassLine = (l: LogLine): boolean => PASS_MESSAGES.has(l.msg) || l.msg.startsWith('reconcile degraded: ');

/** Polls `check` until it returns a value (not null or false); fails after `timeoutMs`. */
/** Writes like an editor's atomic save: a temp file, then a rename over the original. */
async function saveAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}

describe('controller loop on a namespace cell (real files, iptables, packets)', () => {
  let bed: TestbedFixture;
  let example: DesiredState;
  let workDir = '';
  /** The state path the controller watches: a symlink to a revision folder, as git-sync publishes it. */
  let stateLink = '';
  let revision = '';
  let controller: Controller | null = null;
  let logs: LogLine[] = [];

  const peerFile = (name: string): string => join(revision, 'peers', `${name}.json`);
  const sourceNs = (name: string): string => {
    const found = bed.cell.sources.find((s) => s.name === name);
    if (found === undefined) throw new Error(`no testbed source ${name}`);
    return found.ns;
  };
  const status = (): ControllerStatus => {
    if (controller === null) throw new Error('no controller');
    return controller.status();
  };
  const passLines = (): LogLine[] => logs.filter(isPassLine);
  const save = (): Promise<string> =>
    nsRunOk(bed.cell.wg, ['iptables-save']).then((text) => text.replace(/^#.*\n/gm, '').replace(/\[\d+:\d+\]/g, ''));

  async function startController(
    overrides: Partial<ControllerConfig> = {},
    allowMassDelete = false,
  ): Promise<Controller> {
    await controller?.stop();
    const memory = memoryLogger();
    logs = memory.lines;
    controller = new Controller({
      stateDir: stateLink,
      config: { ...bed.config, resync_seconds: 3_600, ...overrides },
      targets: bed.targets,
      docker: null,
      containers: [],
      logger: memory.logger,
      allowMassDelete,
    });
    await controller.start();
    return controller;
  }

  /** Waits for the first pass whose log line comes after `since` lines and matches `result`. */
  async function passAfter(since: number, result: string, timeoutMs = 5_000): Promise<LogLine> {
    return waitFor(
      `a ${result} pass`,
      () =>
        passLines()
          .slice(since)
          .find((l) => l.result === result) ?? null,
      timeoutMs,
    );
  }

  async function getStatusJson(): Promise<ControllerStatus & { fileErrorCount: number }> {
    const res = await fetch(`http://${controller?.listening() ?? ''}/status`);
    return (await res.json()) as ControllerStatus & { fileErrorCount: number };
  }

  async function metric(line: RegExp): Promise<boolean> {
    const text = await (await fetch(`http://${controller?.listening() ?? ''}/metrics`)).text();
    return text.split('\n').some((l) => line.test(l));
  }

  async function reaches(from: string, endpoint: Endpoint): Promise<string | null> {
    const [result] = await probe(sourceNs(from), [endpoint], 700);
    return result?.outcome === 'connected' ? result.answeredBy : null;
  }

  /** Live == desired for `dir`'s content: a dry run plans nothing. */
  async function liveMatches(dir: string): Promise<boolean> {
    const state = await loadValidState(dir);
    const result = await reconcileCell(state, bed.targets, bed.layout, { dryRun: true });
    return result.plan.actions.length === 0 && result.errors.length === 0;
  }

  beforeAll(async () => {
    if (!ready.ok) return;
    example = await loadValidState('state');
    bed = await createTestbed(example);
    workDir = bed.workDir;
    revision = join(workDir, 'rev-1');
    await cp('state', revision, { recursive: true });
    stateLink = join(workDir, 'state');
    await symlink(revision, stateLink);
  });
  afterAll(async () => {
    await controller?.stop();
    await bed?.dispose();
    await cleanupNamespaces();
  });

  it('converges the cell at startup and the reachability matrix matches the state', async () => {
    await startController();
    await passAfter(0, 'converged');
    expect(compareMatrix(example, await probeMatrix(example, bed.cell))).toEqual([]);
    const s = status();
    expect(conditionOf(s, 'Ready')?.status).toBe('True');
    expect(s.counts).toEqual({ peers: 5, links: 2, services: 4 });
    expect(await metric(/^pic_ready 1$/)).toBe(true);
  });

  it('applies an edited peer file within about a second (changed pair probed)', async () => {
    expect(await reaches('bob', { ip: INTERNET_IP, port: SERVICE_PORT })).toBeNull();
    const bob = JSON.parse(await readFile(peerFile('bob'), 'utf8')) as Record<string, unknown>;
    const since = passLines().length;
    const t0 = performance.now();
    await saveAtomically(peerFile('bob'), JSON.stringify({ ...bob, internet_access: true }, null, 2));
    await passAfter(since, 'converged');
    const applied = performance.now() - t0;
    const answered = await waitFor('bob to reach the internet', () =>
      reaches('bob', { ip: INTERNET_IP, port: SERVICE_PORT }),
    );
    const reachable = performance.now() - t0;
    console.log(
      `[controller] edit → converged in ${Math.round(applied)} ms, bob → internet answered after ${Math.round(reachable)} ms`,
    );
    expect(answered).toBe('internet');
    expect(applied).toBeLessThan(3_000);
    expect(passLines().length - since).toBe(1);
  });

  it('turns a burst of 200 writes into a handful of reconciles that end at the final content', async () => {
    const alice = JSON.parse(await readFile(peerFile('alice'), 'utf8')) as Record<string, unknown>;
    const variants = [['calendar'], ['files'], ['mail', 'webdav'], []].map((services) =>
      JSON.stringify({ ...alice, service_access: services }),
    );
    const final = JSON.stringify({ ...alice, service_access: ['webdav'], peer_access: false });
    const since = passLines().length;
    // Another process writes, as git or an editor would: 199 rewrites in place, then the final content.
    await execFileAsync(
      'bash',
      [
        '-c',
        'for i in $(seq 0 198); do v="V$((i % 4))"; printf "%s" "${!v}" > "$F"; done; printf "%s" "$FINAL" > "$F"',
      ],
      {
        env: {
          ...process.env,
          F: peerFile('alice'),
          FINAL: final,
          ...Object.fromEntries(variants.map((text, i) => [`V${i}`, text])),
        },
      },
    );
    await waitFor('the final content to be live', () => liveMatches(stateLink), 10_000);
    // Let any trailing pass finish before counting.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const passes = passLines().length - since;
    console.log(`[controller] 200 writes → ${passes} reconciles`);
    expect(passes).toBeGreaterThanOrEqual(1);
    expect(passes).toBeLessThanOrEqual(10);
    expect(passLines().at(-1)?.result).toBe('converged');
    expect(await reaches('alice', { ip: '172.20.0.24', port: SERVICE_PORT })).toBe('caddy');
    expect(await reaches('alice', { ip: '172.20.0.21', port: SERVICE_PORT })).toBeNull();
  });

  it('repairs a hand-edited Corefile, and its own Corefile writes trigger no extra pass', async () => {
    const rendered = await readFile(bed.corefilePath, 'utf8');
    const since = passLines().length;
    const t0 = performance.now();
    await writeFile(bed.corefilePath, '. {\n    whoami\n}\n');
    await waitFor('the Corefile restored', async () => (await readFile(bed.corefilePath, 'utf8')) === rendered);
    console.log(`[controller] Corefile hand edit repaired in ${Math.round(performance.now() - t0)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = passLines().slice(since);
    expect(after.map((l) => l.trigger)).toEqual([['corefile']]);
    expect(logs.some((l) => l.msg === 'drift repaired')).toBe(true);
  });

  it('follows a git-sync style symlink swap, then a deleted and recreated folder', async () => {
    const next = join(workDir, 'rev-2');
    await cp(revision, next, { recursive: true });
    const carol = JSON.parse(await readFile(join(next, 'peers', 'carol.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(next, 'peers', 'carol.json'), JSON.stringify({ ...carol, service_access: ['files', 'mail'] }));
    let since = passLines().length;
    await symlink(next, `${stateLink}.tmp`);
    await rename(`${stateLink}.tmp`, stateLink);
    await rm(revision, { recursive: true });
    revision = next;
    await passAfter(since, 'converged');
    expect(await liveMatches(stateLink)).toBe(true);
    expect(await reaches('carol', { ip: '172.20.0.23', port: SERVICE_PORT })).toBe('caddy');

    // The folder disappears: every resource keeps its last good version (held back: not Ready), nothing is removed.
    const before = await save();
    since = passLines().length;
    await rm(revision, { recursive: true });
    const missing = await passAfter(since, 'degraded');
    expect(missing.trigger).toEqual(['state']);
    expect(await save()).toBe(before);
    expect(status().fileErrors.map((e) => e.file)).toEqual(['.']);
    expect(status().heldBack.map((h) => h.file)).toEqual(expect.arrayContaining(['cell.json', 'peers/bob.json']));

    // It comes back with a change: the watch finds it again.
    since = passLines().length;
    await cp('state', revision, { recursive: true });
    await passAfter(since, 'converged');
    await waitFor('the recreated folder to be live', () => liveMatches(stateLink));
    expect(status().fileErrors).toEqual([]);
    expect(await reaches('carol', { ip: '172.20.0.23', port: SERVICE_PORT })).toBeNull();
  });

  it('keeps a broken file’s peer as it was while the others converge, names the file in /status, applies the fix', async () => {
    const bobRow = await probe(
      sourceNs('bob'),
      [
        { ip: '172.20.0.21', port: SERVICE_PORT },
        { ip: '172.20.0.22', port: SERVICE_PORT },
        { ip: INTERNET_IP, port: SERVICE_PORT },
      ],
      700,
    );
    const bobText = await readFile(peerFile('bob'), 'utf8');
    const erin = JSON.parse(await readFile(peerFile('kids'), 'utf8')) as Record<string, unknown>[];
    const since = passLines().length;
    // Half-written JSON, and at the same time an edit elsewhere.
    await writeFile(peerFile('bob'), bobText.slice(0, Math.floor(bobText.length / 2)));
    await writeFile(
      peerFile('kids'),
      JSON.stringify(erin.map((p) => (p['name'] === 'erin-laptop' ? { ...p, internet_access: false } : p))),
    );
    await waitFor(
      'erin’s edit to be live',
      async () => (await reaches('erin-laptop', { ip: INTERNET_IP, port: SERVICE_PORT })) === null || null,
    );
    const bobAfter = await probe(
      sourceNs('bob'),
      [
        { ip: '172.20.0.21', port: SERVICE_PORT },
        { ip: '172.20.0.22', port: SERVICE_PORT },
        { ip: INTERNET_IP, port: SERVICE_PORT },
      ],
      700,
    );
    expect(bobAfter).toEqual(bobRow);
    const json = await getStatusJson();
    expect(json.fileErrors.map((e) => e.file)).toEqual(['peers/bob.json']);
    expect(json.conditions.find((c) => c.type === 'StateValid')).toMatchObject({
      status: 'False',
      reason: 'FileErrors',
    });
    // bob's last good version is what is live, not what his file says: held back, so not Ready.
    expect(json.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'Degraded' });
    expect(json.heldBack).toEqual([{ file: 'peers/bob.json', reason: 'last-good', resources: ['Peer/bob'] }]);
    expect(await metric(/^pic_state_errors 1$/)).toBe(true);
    expect(await metric(/^pic_held_back_resources\{file="peers\/bob.json"\} 1$/)).toBe(true);
    expect(logs.some((l) => l.msg.startsWith('state error: peers/bob.json') && l.file === 'peers/bob.json')).toBe(true);
    expect(
      passLines()
        .slice(since)
        .every((l) => l.result === 'degraded'),
    ).toBe(true);

    // The fix (with a change) is applied.
    await saveAtomically(
      peerFile('bob'),
      JSON.stringify({ ...(JSON.parse(bobText) as object), service_access: ['files'] }),
    );
    await waitFor(
      'bob’s fix to be live',
      async () => (await reaches('bob', { ip: '172.20.0.22', port: SERVICE_PORT })) === 'caddy' || null,
    );
    // The status is written when the pass that applied the fix ends, a moment after its packets pass.
    await waitFor('Ready again', () => conditionOf(status(), 'Ready')?.status === 'True');
    expect(status().fileErrors).toEqual([]);
    expect(await metric(/^pic_held_back_resources/)).toBe(false);
  });

  it('remembers the last good version across a restart, and keeps unattributable live rules when nothing is remembered', async () => {
    const bobText = await readFile(peerFile('bob'), 'utf8');
    await controller?.stop();
    await writeFile(peerFile('bob'), '{"kind": "Peer", "name": "bob", ');
    const before = await save();
    // Same status folder: bob's remembered version is used, nothing changes.
    await startController();
    await passAfter(0, 'degraded');
    expect(await save()).toBe(before);
    expect(status().fileErrors.map((e) => e.file)).toEqual(['peers/bob.json']);

    // A fresh status folder: bob's file is broken and unknown; his live chain and jump stay.
    await controller?.stop();
    await startController({ status_dir: join(workDir, 'status-fresh') });
    await passAfter(0, 'degraded');
    expect(await save()).toBe(before);
    expect(status().heldBack).toEqual([
      { file: 'peers/bob.json', reason: 'unattributed', resources: ['PIC-PEER-10-0-0-3'] },
    ]);
    expect(await reaches('bob', { ip: '172.20.0.22', port: SERVICE_PORT })).toBe('caddy');

    await saveAtomically(peerFile('bob'), bobText);
    await waitFor('bob’s file to be live', () => liveMatches(stateLink));
  });

  it('enforces a deleted peer file although an unrelated new file is broken; holds only what no file accounts for', async () => {
    const bobText = await readFile(peerFile('bob'), 'utf8');
    const frank = peerFile('frank');
    await startController();
    await passAfter(0, 'converged');
    // frank breaks first and is seen broken; then bob's valid file goes (two events, two passes, in that order).
    await writeFile(frank, '{"kind":"Peer","name":"frank","ip":"10.0.0.20",}');
    await waitFor(
      'frank’s error in /status',
      async () => (await getStatusJson()).fileErrors.some((e) => e.file === 'peers/frank.json') || null,
    );
    const since = passLines().length;
    await rm(peerFile('bob'));
    await waitFor('bob’s chain and jump to go', async () => !/PIC-PEER-10-0-0-3/.test(await save()) || null);
    expect(await reaches('bob', { ip: '172.20.0.21', port: SERVICE_PORT })).toBeNull();
    await passAfter(since, 'converged');
    const json = await getStatusJson();
    expect(json.fileErrors.map((e) => e.file)).toEqual(['peers/frank.json']);
    expect(json.heldBack).toEqual([]);

    // Nothing remembered (a fresh status folder) and bob live again: his chain is accounted for by no file, so frank.json holds it.
    await saveAtomically(peerFile('bob'), bobText);
    await waitFor('bob back', async () => /PIC-PEER-10-0-0-3/.test(await save()) || null);
    await controller?.stop();
    await rm(peerFile('bob'));
    await startController({ status_dir: join(workDir, 'status-frank') });
    await passAfter(0, 'degraded');
    expect(await save()).toMatch(/-A PIC-FORWARD -s 10\.0\.0\.3\/32 .*-j PIC-PEER-10-0-0-3/);
    const held = await getStatusJson();
    expect(held.heldBack).toEqual([
      { file: 'peers/frank.json', reason: 'unattributed', resources: ['PIC-PEER-10-0-0-3'] },
    ]);
    expect(held.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'Degraded' });
    expect(held.conditions.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      message: 'peers/frank.json: PIC-PEER-10-0-0-3',
    });
    expect((await fetch(`http://${controller?.listening() ?? ''}/readyz`)).status).toBe(503);
    expect(await metric(/^pic_held_back_resources\{file="peers\/frank.json"\} 1$/)).toBe(true);
    expect(logs.some((l) => l.msg.startsWith('reconcile degraded: held back by broken files: peers/frank.json'))).toBe(
      true,
    );

    // Fixing frank's file releases it: bob goes, Ready again.
    const next = passLines().length;
    await saveAtomically(frank, '{"kind":"Peer","name":"frank","ip":"10.0.0.20"}');
    await passAfter(next, 'converged');
    expect(await save()).not.toMatch(/PIC-PEER-10-0-0-3/);
    expect((await fetch(`http://${controller?.listening() ?? ''}/readyz`)).status).toBe(200);
    await rm(frank);
    await saveAtomically(peerFile('bob'), bobText);
    await waitFor('bob’s file to be live', () => liveMatches(stateLink));
  });

  it('repairs drift on the periodic resync without any other trigger', async () => {
    await startController({ resync_seconds: 1 });
    await passAfter(0, 'converged');
    const since = passLines().length;
    await nsRunOk(bed.cell.wg, ['iptables', '-D', 'PIC-PEER-10-0-0-3', '1']);
    const t0 = performance.now();
    const repaired = await passAfter(since, 'converged', 4_000);
    console.log(`[controller] drift repaired by resync after ${Math.round(performance.now() - t0)} ms`);
    expect(repaired.trigger).toEqual(['resync']);
    expect(await liveMatches(stateLink)).toBe(true);
  });

  it('holds back an emptied state folder (status and metric), and removes everything once allowed', async () => {
    await startController();
    await passAfter(0, 'converged');
    const before = await save();
    const since = passLines().length;
    for (const entry of ['cell.json', 'peers', 'cells', 'tests']) await rm(join(revision, entry), { recursive: true });
    await passAfter(since, 'refused');
    expect(await save()).toBe(before);
    const json = await getStatusJson();
    expect(json.massDeleteGuard.blocked).toBe(true);
    expect(json.massDeleteGuard.reason).toMatch(/no state files.*--allow-mass-delete/);
    expect(json.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'MassDeleteGuard',
    });
    expect(await metric(/^pic_mass_delete_blocked 1$/)).toBe(true);
    expect(await metric(/^pic_reconciles_total\{result="refused",trigger="state"\} [1-9]/)).toBe(true);

    await startController({}, true);
    await passAfter(0, 'converged');
    const after = await save();
    expect(after).not.toMatch(/PIC-|pic:jump/);
    // Rules that are not ours stay.
    expect(after).toContain('-A FORWARD -i wg0 -j ACCEPT');
    expect(after).toContain('-A POSTROUTING -o eth+ -j MASQUERADE');
    expect(await nsRunOk(bed.cell.lan, ['ip', 'addr', 'show', 'dev', 'eth0'])).not.toContain('eth0:pic');
    expect(await nsRunOk(bed.cell.wg, ['ip', 'rule', 'show'])).not.toContain('proto 252');
    expect(status().massDeleteGuard.blocked).toBe(false);
    expect(await metric(/^pic_mass_delete_blocked 0$/)).toBe(true);
  });
});
