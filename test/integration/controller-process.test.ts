import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type Docker from 'dockerode';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFileJson, controllerConfigSchema } from '../../src/config/controller-config.js';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import { withDeadline } from '../../src/targets/deadline.js';
import { runContainer } from '../../src/targets/docker-container-lifecycle.js';
import { createDockerClient } from '../../src/targets/docker-client.js';
import { cleanupNamespaces, createNamespace, nsRunOk } from '../../src/testbed/netns.js';
import { buildTestImage, ensureDockerDaemon } from '../helpers/docker.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { createTestbed, loadValidState, type TestbedFixture } from '../helpers/testbed.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The controller as operators run it: the built CLI (`node dist/cli/main.js run`) as a child
 * process, stopped by signals, against a namespace testbed and against a private dockerd that
 * the test stops and starts by its PID (the machine's own dockerd is never touched).
 */

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

interface LogLine {
  readonly msg: string;
  readonly result?: string;
  readonly trigger?: readonly string[];
  readonly listen?: string;
  readonly reconcile?: string;
}

/** The controller CLI as a child process, with its JSON log lines parsed as they come. */
class ControllerProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private stderr = '';

  constructor(args: readonly string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI, 'run', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: `(not JSON) ${line}` });
        }
      }
    });
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  async waitForLine(what: string, match: (line: LogLine) => boolean, from = 0, timeoutMs = 20_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null)
        throw new Error(`controller exited (${this.child.exitCode}) before ${what}: ${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; last lines: ${JSON.stringify(this.lines.slice(-5))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.pid !== undefined && this.child.exitCode === null) process.kill(this.child.pid, signal);
  }
}

/** Builds dist/ when any source file is newer than the CLI (CI builds it in `npm ci`). */
async function ensureBuilt(): Promise<void> {
  const newest = async (dir: string): Promise<number> => {
    let latest = 0;
    for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
      if (entry.isFile()) latest = Math.max(latest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
    }
    return latest;
  };
  const built = await stat(CLI).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  if (built >= (await newest(join(ROOT, 'src')))) return;
  // tsc emits even when a file elsewhere does not typecheck; whether it did is checked below.
  await execFileAsync(process.execPath, [
    join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    join(ROOT, 'tsconfig.build.json'),
  ]).catch(() => undefined);
  if (
    (await stat(CLI).then(
      (s) => s.mtimeMs,
      () => 0,
    )) <= built
  )
    throw new Error('npm run build did not produce dist/cli/main.js');
}

/** Polls `check` until it returns a value (not null or false); fails after `timeoutMs`. */
async function httpStatus(listen: string, path: string): Promise<number | null> {
  try {
    return (await fetch(`http://${listen}${path}`, { signal: AbortSignal.timeout(2_000) })).status;
  } catch {
    return null;
  }
}

/** `pic-reconciler status`: its exit code and what it printed. */
async function statusCommand(listen: string): Promise<{ code: number; stdout: string }> {
  try {
    return { code: 0, stdout: (await execFileAsync(process.execPath, [CLI, 'status', '--listen', listen])).stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '' };
  }
}

const peersFile = (count: number, edit: Record<string, unknown>): string =>
  JSON.stringify(
    Array.from({ length: count }, (_, i) => ({
      kind: 'Peer',
      name: `p${i}`,
      ip: `10.0.${Math.floor(i / 250) + 10}.${(i % 250) + 1}`,
      ...edit,
    })),
  );

describe('the controller process: SIGTERM during a large apply', () => {
  const ready = requirePrerequisites(['root', 'iptables', 'ip']);
  let bed: TestbedFixture;
  let stateDir = '';
  let configFile = '';
  let controller: ControllerProcess | null = null;

  const save = async (): Promise<string> =>
    (await nsRunOk(bed.cell.wg, ['iptables-save'])).replace(/^#.*\n/gm, '').replace(/\[\d+:\d+\]/g, '');

  beforeAll(async () => {
    if (!ready.ok) return;
    await ensureBuilt();
    bed = await createTestbed(await loadValidState('state'));
    stateDir = join(bed.workDir, 'state');
    await mkdir(stateDir);
    await writeFile(
      join(stateDir, 'cell.json'),
      JSON.stringify({ kind: 'Cell', name: 'big', peer_subnet: '10.0.0.0/16' }),
    );
    await writeFile(join(stateDir, 'peers.json'), peersFile(2_000, { internet_access: true }));
    configFile = join(bed.workDir, 'config.json');
    await writeFile(configFile, JSON.stringify({ ...configFileJson(bed.config), resync_seconds: 3_600 }));
  });
  afterAll(async () => {
    controller?.signal('SIGKILL');
    await bed?.dispose();
    await cleanupNamespaces();
  });

  it('finishes the reconcile in flight and exits 0; the ruleset is the full old or the full new one, never a mix', async () => {
    controller = new ControllerProcess(['--state', stateDir, '--config', configFile], { LOG_LEVEL: 'debug' });
    await controller.waitForLine('the first converged pass', (l) => l.result === 'converged');
    const oldDump = await save();
    expect(oldDump.split('\n').filter((l) => l.startsWith('-A PIC-PEER-')).length).toBeGreaterThan(8_000);

    // Every peer chain changes: one big iptables-restore.
    const from = controller.lines.length;
    const next = join(stateDir, '.peers.json.new');
    await writeFile(next, peersFile(2_000, { internet_access: false, service_access: ['calendar'] }));
    await rename(next, join(stateDir, 'peers.json'));
    const started = await controller.waitForLine(
      'the pass for the change to start',
      (l) => l.msg === 'reconcile started',
      from,
    );
    controller.signal('SIGTERM');
    const t0 = performance.now();
    const { code, signal } = await controller.exited;
    console.log(`[controller] exited ${code} ${Math.round(performance.now() - t0)} ms after SIGTERM`);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    const after = await save();

    // The full new rendering, for comparison: what one more reconcile of the new state leaves.
    const newState = await loadValidState(stateDir);
    const finish = await reconcileCell(newState, bed.targets, bed.layout);
    expect(finish.converged).toBe(true);
    const newDump = await save();
    expect(newDump).not.toBe(oldDump);
    expect(after === oldDump || after === newDump).toBe(true);
    // The pass had started when the signal came: it was finished, so the new ruleset is live.
    expect(after).toBe(newDump);
    const tail = controller.lines
      .slice(from)
      .map((l) => (l.reconcile === started.reconcile && l.result !== undefined ? `pass ${l.result}` : l.msg));
    const stopping = tail.indexOf('stopping: finishing the reconcile in flight');
    const finished = tail.indexOf('pass converged');
    // Both lines are there (an index of -1 would compare "less" than anything), the stop first.
    expect([stopping >= 0, finished >= 0]).toEqual([true, true]);
    expect(stopping).toBeLessThan(finished);
    expect(tail.at(-1)).toBe('stopped');
  });
});

describe('the controller process: dockerd goes away and comes back', () => {
  const ready = requirePrerequisites(['root', 'dockerd', 'docker', 'busybox', 'iptables', 'ip']);
  let home = '';
  let socket = '';
  let daemonNs = '';
  let daemon: ChildProcess | null = null;
  let docker: Docker;
  let controller: ControllerProcess | null = null;
  let listen = '';
  const names = { wireguard: `pict-${process.pid}-pwg`, caddy: `pict-${process.pid}-pcaddy` };

  /**
   * A private dockerd of our own: own socket, data, exec root and containerd; no bridge, no iptables.
   * It runs in a network namespace of its own (nsenter switches only that, so cgroups stay
   * mounted): with --bridge=none, dockerd deletes any link named docker0 in its namespace,
   * which on the host would be the machine's dockerd's bridge.
   */
  async function startDaemon(): Promise<void> {
    const log = openSync(join(home, 'dockerd.log'), 'a');
    daemon = spawn(
      'nsenter',
      [
        `--net=/run/netns/${daemonNs}`,
        'dockerd',
        `--host=unix://${socket}`,
        `--data-root=${join(home, 'root')}`,
        `--exec-root=${join(home, 'exec')}`,
        `--pidfile=${join(home, 'pid')}`,
        `--config-file=${join(home, 'daemon.json')}`,
        '--iptables=false',
        '--ip6tables=false',
        '--ip-forward=false',
        '--ip-masq=false',
        '--bridge=none',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    await waitFor(
      'the private dockerd to answer',
      () =>
        withDeadline(docker.ping(), 1_000).then(
          () => true,
          () => false,
        ),
      30_000,
    );
  }

  async function stopDaemon(): Promise<void> {
    const running = daemon;
    daemon = null;
    if (running === null || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await withDeadline(exited, 30_000).catch(() => running.kill('SIGKILL'));
  }

  const dockerCli = (args: readonly string[]): Promise<{ stdout: string }> =>
    execFileAsync('docker', ['-H', `unix://${socket}`, ...args]);

  beforeAll(async () => {
    if (!ready.ok) return;
    await ensureBuilt();
    await ensureDockerDaemon();
    const image = await buildTestImage();
    home = await mkdtemp(join(tmpdir(), `pict-${process.pid}-dockerd-`));
    socket = join(home, 'docker.sock');
    await writeFile(join(home, 'daemon.json'), '{}');
    daemonNs = await createNamespace();
    docker = createDockerClient({ kind: 'unix', socketPath: socket });
    await startDaemon();
    await execFileAsync('bash', ['-c', `docker save "$IMAGE" | docker -H "unix://$SOCK" load`], {
      env: { ...process.env, IMAGE: image, SOCK: socket },
    });
    const idle = 'trap "exit 0" TERM; while true; do sleep 1; done';
    // No network (the daemon has no bridge): each container makes the interface its role needs, again after every restart.
    const specs = [
      {
        name: names.wireguard,
        cmd: `ip link add wg0 type veth peer name wgpeer && ip link set wg0 up && ip link set wgpeer up; ${idle}`,
      },
      {
        name: names.caddy,
        cmd: `ip link add eth0 type veth peer name eth0p && ip link set eth0 up && ip link set eth0p up; ${idle}`,
      },
    ];
    for (const spec of specs) {
      await runContainer(docker, spec.name, {
        Image: image,
        Cmd: ['sh', '-c', spec.cmd],
        StopTimeout: 1,
        HostConfig: { CapAdd: ['NET_ADMIN'], NetworkMode: 'none', RestartPolicy: { Name: 'always' } },
      });
    }
    const config = controllerConfigSchema.parse({
      targets: {
        wireguard: `docker:${names.wireguard}`,
        caddy: `docker:${names.caddy}`,
        api: 'ip:172.20.0.3',
        dns: 'none',
      },
      corefile: join(home, 'Corefile'),
      listen: '127.0.0.1:0',
      resync_seconds: 3_600,
      status_dir: join(home, 'status'),
      debounce_ms: 50,
      min_interval_ms: 50,
    });
    await writeFile(join(home, 'config.json'), JSON.stringify(configFileJson(config)));
  });
  afterAll(async () => {
    controller?.signal('SIGKILL');
    if (daemon !== null) await dockerCli(['rm', '-f', names.wireguard, names.caddy]).catch(() => undefined);
    await stopDaemon();
    if (home !== '') await rm(home, { recursive: true, force: true }).catch(() => undefined);
    await cleanupNamespaces();
  });

  it('keeps serving /healthz, reports not ready while dockerd is gone, reconnects and converges when it returns', async () => {
    const hostBridge = await readFile('/sys/class/net/docker0/ifindex', 'utf8').catch(() => null);
    controller = new ControllerProcess(['--state', join(ROOT, 'state'), '--config', join(home, 'config.json')], {
      DOCKER_HOST: `unix://${socket}`,
    });
    listen = (await controller.waitForLine('the status server', (l) => l.listen !== undefined)).listen ?? '';
    await controller.waitForLine('the first converged pass', (l) => l.result === 'converged');
    expect(await httpStatus(listen, '/readyz')).toBe(200);
    expect(await statusCommand(listen)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^Ready\s+True\s+Converged/m),
    });
    const rules = async (): Promise<string> => (await dockerCli(['exec', names.wireguard, 'iptables-save'])).stdout;
    expect(await rules()).toContain('PIC-FORWARD');

    const from = controller.lines.length;
    await stopDaemon();
    await waitFor('/readyz to say not ready', async () => (await httpStatus(listen, '/readyz')) === 503, 10_000);
    expect(await httpStatus(listen, '/healthz')).toBe(200);
    expect(await statusCommand(listen)).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/^TargetsReachable\s+False\s+Unreachable/m),
    });
    await controller.waitForLine('the disconnect', (l) => l.msg.startsWith('docker events disconnected'), from);

    const t0 = performance.now();
    await startDaemon();
    // The containers restart with fresh network namespaces; the controller must put everything back.
    await waitFor('/readyz to say ready again', async () => (await httpStatus(listen, '/readyz')) === 200, 30_000);
    console.log(`[controller] ready ${Math.round(performance.now() - t0)} ms after starting the private dockerd again`);
    await controller.waitForLine('the reconnect', (l) => l.msg === 'docker events connected', from);
    expect(await rules()).toContain('PIC-FORWARD');
    expect((await dockerCli(['exec', names.caddy, 'ip', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain('eth0:pic');

    controller.signal('SIGTERM');
    expect((await controller.exited).code).toBe(0);
    // The machine's own Docker bridge is untouched by our daemon.
    expect(await readFile('/sys/class/net/docker0/ifindex', 'utf8').catch(() => null)).toBe(hostBridge);
  });
});
