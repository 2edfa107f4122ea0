import { execFile, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseControllerConfig, type ControllerConfig } from '../../src/config/controller-config.js';
import { dockerClient } from '../../src/targets/docker-client.js';
import { removeContainer, runContainer, stopContainer } from '../../src/targets/docker-container-lifecycle.js';
import {
  buildTestImage,
  containerName,
  ensureDockerDaemon,
  removeTestContainers,
  startTestContainer,
} from '../helpers/docker.js';
import { builtEntry } from '../helpers/build-dist.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';

/**
 * The deployment files: the compose service, its config, the systemd units and the GitOps
 * variants are checked against each other and against the controller's config schema; the
 * healthcheck runs against a real HTTP server; the Dockerfile is built for real by
 * scripts/check-dockerfile.sh, and the image then runs with the compose file's options
 * against a cell of real containers.
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(join(REPO, path), 'utf8');

// ---- compose ---------------------------------------------------------------------------------

const serviceSchema = z
  .object({
    image: z.string().optional(),
    command: z.array(z.string()).optional(),
    volumes: z.array(z.string()).default([]),
    network_mode: z.string().optional(),
    restart: z.string().optional(),
    group_add: z.array(z.string()).optional(),
    cap_add: z.array(z.string()).optional(),
    cap_drop: z.array(z.string()).optional(),
    privileged: z.boolean().optional(),
    read_only: z.boolean().optional(),
    ports: z.array(z.unknown()).optional(),
    depends_on: z.record(z.string(), z.object({ condition: z.string(), required: z.boolean().optional() })).optional(),
  })
  .loose();
type Service = z.infer<typeof serviceSchema>;

const composeSchema = z.object({
  services: z.record(z.string(), serviceSchema),
  volumes: z.record(z.string(), z.unknown()).default({}),
});
type Compose = z.infer<typeof composeSchema>;

function readCompose(path: string): Compose {
  return composeSchema.parse(parseYaml(read(path)));
}

function serviceOf(compose: Compose, name: string): Service {
  const service = compose.services[name];
  if (service === undefined) throw new Error(`no service ${name}`);
  return service;
}

interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  /** A named volume rather than a host path. */
  readonly named: boolean;
}

/** Compose short syntax `SOURCE:TARGET[:MODE]`. */
function parseMount(spec: string): Mount {
  const [source = '', target = '', mode = ''] = spec.split(':');
  return { source, target, readOnly: mode.split(',').includes('ro'), named: !/^[./~$]/.test(source) };
}

function mountsOf(service: Service): Mount[] {
  return service.volumes.map(parseMount);
}

/** The mount a container path lives on: the one with the longest target containing it. */
function mountHolding(mounts: readonly Mount[], path: string): Mount | undefined {
  return mounts
    .filter((m) => path === m.target || path.startsWith(`${m.target}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
}

function loadConfig(path: string): ControllerConfig {
  const result = parseControllerConfig(read(path), path);
  if (!result.ok) throw new Error(result.error);
  return result.config;
}

function flagValue(argv: readonly string[], flag: string): string | undefined {
  const at = argv.indexOf(flag);
  return at < 0 ? undefined : argv[at + 1];
}

// ---- Dockerfile ------------------------------------------------------------------------------

/** Instructions with continuation lines joined, comments dropped. */
function dockerfileInstructions(text: string): { readonly keyword: string; readonly args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

const DOCKERFILE = dockerfileInstructions(read('deploy/Dockerfile'));
const jsonArgs = (keyword: string): string[] =>
  z.array(z.string()).parse(JSON.parse(DOCKERFILE.filter((i) => i.keyword === keyword).at(-1)?.args ?? 'null'));
const IMAGE_CMD = jsonArgs('CMD');

// ---- systemd ---------------------------------------------------------------------------------

type Unit = Map<string, Map<string, string[]>>;

/** INI as systemd reads it: sections, repeatable keys, `#`/`;` comments. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1] ?? '', section);
      continue;
    }
    const eq = line.indexOf('=');
    if (section === null || eq < 0) throw new Error(`not a unit line: ${line}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

function unitValue(unit: Unit, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1);
}

function readUnit(path: string): Unit {
  return parseUnit(read(path));
}

/** `systemd-analyze verify` prints problems and still exits 0: any output is a failure. */
function systemdVerify(path: string): string | null {
  const which = spawnSync('sh', ['-c', 'command -v systemd-analyze']);
  if (which.status !== 0) return null;
  const result = spawnSync('systemd-analyze', ['verify', join(REPO, path)], { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trim();
}

// ---- checks shared by both compose variants ---------------------------------------------------

/** What every controller service must get right, whatever feeds its state folder. */
function expectControllerService(compose: Compose, service: Service, stateDir: string): void {
  const mounts = mountsOf(service);
  const config = loadConfig('deploy/config.json');

  expect(mounts).toContainEqual(
    expect.objectContaining({ source: '/var/run/docker.sock', target: '/var/run/docker.sock' }),
  );

  const state = mountHolding(mounts, stateDir);
  expect(state, `no mount holds the state folder ${stateDir}`).toBeDefined();
  expect(state?.readOnly).toBe(true);

  // The Corefile's folder, writable, and no mount of the file itself.
  const corefileDir = posix.dirname(config.corefile);
  const corefileMount = mounts.find((m) => m.target === corefileDir);
  expect(corefileMount, `no mount of the Corefile's folder ${corefileDir}`).toBeDefined();
  expect(corefileMount?.readOnly).toBe(false);
  expect(corefileMount?.source).not.toMatch(/Corefile$/);
  expect(mounts.some((m) => m.target === config.corefile)).toBe(false);

  // status_dir on a writable named volume the project declares, not on the read-only state.
  expect(config.status_dir).not.toBeNull();
  const status = mountHolding(mounts, config.status_dir ?? '');
  expect(status, `no mount holds status_dir ${config.status_dir}`).toBeDefined();
  expect(status?.readOnly).toBe(false);
  expect(status?.named).toBe(true);
  expect(Object.keys(compose.volumes)).toContain(status?.source);

  // deploy/config.json, read-only, where the command reads it.
  const configPath = flagValue(service.command ?? IMAGE_CMD, '--config');
  expect(mounts).toContainEqual(
    expect.objectContaining({
      source: expect.stringMatching(/(^|\/)deploy\/config\.json$/),
      target: configPath,
      readOnly: true,
    }),
  );

  // HTTP on the host's loopback only, no published port; no privilege.
  expect(service.network_mode).toBe('host');
  expect(config.listen).toMatch(/^127\.0\.0\.1:/);
  expect(service.ports).toBeUndefined();
  expect(service.privileged).toBeUndefined();
  expect(service.cap_add).toBeUndefined();
  expect(service.cap_drop).toEqual(['ALL']);
  expect(service.group_add?.[0]).toMatch(/DOCKER_GID/);
  expect(service.restart).toBe('unless-stopped');

  // A read-only root: everything the controller writes is on a writable mount.
  expect(service.read_only).toBe(true);

  for (const role of ['cell-wireguard', 'cell-caddy', 'cell-dns', 'cell-api']) {
    expect(service.depends_on?.[role]?.condition).toBe('service_started');
  }
}

describe('deploy/config.json', () => {
  it('is a valid controller config that uses the seed cell and a status_dir outside the state', () => {
    const config = loadConfig('deploy/config.json');
    expect(config.targets).toEqual({
      wireguard: { kind: 'docker', name: 'cell-wireguard' },
      caddy: { kind: 'docker', name: 'cell-caddy' },
      dns: { kind: 'docker', name: 'cell-dns' },
      api: { kind: 'docker', name: 'cell-api' },
    });
    expect(config.corefile).toBe('/app/config/dns/Corefile');
    expect(config.status_dir).toBe('/var/lib/pic-reconciler');
  });

  it('has a host variant for the systemd unit that is valid too', () => {
    const host = loadConfig('deploy/config.host.json');
    expect(host.corefile).toMatch(/^\/.+\/Corefile$/);
    expect(host.status_dir).toBe('/var/lib/pic-reconciler');
  });
});

describe('deploy/docker-compose.yml', () => {
  const compose = readCompose('deploy/docker-compose.yml');
  const service = serviceOf(compose, 'pic-reconciler');

  it('runs the image command against /state, mounted read-only', () => {
    expect(service.command).toBeUndefined();
    expect(flagValue(IMAGE_CMD, '--state')).toBe('/state');
    expect(mountsOf(service)).toContainEqual({ source: './state', target: '/state', readOnly: true, named: false });
  });

  it('mounts the socket, the Corefile folder, the config and a status volume, and nothing privileged', () => {
    expectControllerService(compose, service, '/state');
    expect(mountsOf(service)).toContainEqual({
      source: './config/dns',
      target: '/app/config/dns',
      readOnly: false,
      named: false,
    });
  });

  it('builds deploy/Dockerfile from the repository root', () => {
    expect(service.build).toEqual({ context: './pic-reconciler', dockerfile: 'deploy/Dockerfile' });
  });
});

describe('deploy/Dockerfile', () => {
  it('builds on node:20-bookworm-slim in two stages and installs runtime dependencies only', () => {
    const froms = DOCKERFILE.filter((i) => i.keyword === 'FROM').map((i) => i.args.split(' ')[0]);
    expect(froms).toEqual(['node:20-bookworm-slim', 'node:20-bookworm-slim']);
    const runs = DOCKERFILE.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs).toContainEqual(expect.stringContaining('npm run build'));
    expect(runs).toContainEqual(expect.stringContaining('npm ci --omit=dev --ignore-scripts'));
  });

  it('runs the CLI as a non-root user with a node healthcheck', () => {
    expect(jsonArgs('ENTRYPOINT')).toEqual(['node', '/app/dist/cli/main.js']);
    expect(IMAGE_CMD).toEqual(['run', '--state', '/state', '--config', '/etc/pic-reconciler/config.json']);
    expect(DOCKERFILE.filter((i) => i.keyword === 'USER').at(-1)?.args).toBe('node');
    expect(DOCKERFILE.find((i) => i.keyword === 'HEALTHCHECK')?.args).toMatch(
      /CMD \["node", "\/app\/deploy\/healthcheck\.mjs"\]$/,
    );
  });

  it('sends the build only what it copies (BuildKit reads deploy/Dockerfile.dockerignore)', () => {
    const ignore = read('deploy/Dockerfile.dockerignore')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const copied = DOCKERFILE.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from')).flatMap((i) =>
      i.args.split(' ').slice(0, -1),
    );
    for (const source of copied) expect(ignore, source).toContain(`!${source}`);
  });
});

describe('deploy/healthcheck.mjs', () => {
  let server: Server;
  let healthzStatus = 200;
  let port = 0;
  let work = '';

  beforeAll(async () => {
    server = createServer((req, res) => res.writeHead(req.url === '/healthz' ? healthzStatus : 404).end());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
    work = await mkdtemp(join(tmpdir(), 'pict-healthcheck-'));
  });

  afterAll(async () => {
    await new Promise((done) => server.close(done));
    await rm(work, { recursive: true, force: true });
  });

  const check = (env: Record<string, string>): Promise<number> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [join(REPO, 'deploy/healthcheck.mjs')],
        { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 10_000 },
        (error) => done(error === null ? 0 : typeof error.code === 'number' ? error.code : -1),
      );
    });

  it('asks /healthz at the config file`s listen address and exits 0 on 200, 1 otherwise', async () => {
    const config = join(work, 'config.json');
    await writeFile(config, JSON.stringify({ listen: `127.0.0.1:${port}` }));
    healthzStatus = 200;
    expect(await check({ PIC_CONFIG: config })).toBe(0);
    healthzStatus = 503;
    expect(await check({ PIC_CONFIG: config })).toBe(1);
  });

  it('follows PIC_HEALTHZ_URL and fails when nothing listens', async () => {
    healthzStatus = 200;
    expect(await check({ PIC_HEALTHZ_URL: `http://127.0.0.1:${port}/healthz` })).toBe(0);
    const deadPort = await freePort();
    expect(await check({ PIC_HEALTHZ_URL: `http://127.0.0.1:${deadPort}/healthz` })).toBe(1);
  });
});

describe('deploy/pic-reconciler.service', () => {
  const unit = readUnit('deploy/pic-reconciler.service');
  const host = loadConfig('deploy/config.host.json');
  const argv = (unitValue(unit, 'Service', 'ExecStart') ?? '').split(/\s+/);

  it('runs the built CLI after docker with the host config', () => {
    expect(argv.slice(0, 5)).toEqual([
      '/usr/bin/env',
      'node',
      '/opt/pic-reconciler/dist/cli/main.js',
      'run',
      '--state',
    ]);
    expect(flagValue(argv, '--config')).toBe('/etc/pic-reconciler/config.json');
    expect(unitValue(unit, 'Unit', 'After')?.split(' ')).toContain('docker.service');
    expect(unitValue(unit, 'Service', 'SupplementaryGroups')).toBe('docker');
  });

  it('restarts on failure and stops with SIGTERM and time to finish the reconcile in flight', () => {
    expect(unitValue(unit, 'Service', 'Restart')).toBe('on-failure');
    expect(unitValue(unit, 'Service', 'KillSignal')).toBe('SIGTERM');
    expect(unitValue(unit, 'Service', 'TimeoutStopSec')).toBe('60s');
  });

  it('is hardened, with only the Corefile folder and status_dir writable', () => {
    expect(unitValue(unit, 'Service', 'NoNewPrivileges')).toBe('yes');
    expect(unitValue(unit, 'Service', 'ProtectSystem')).toBe('strict');
    expect(unitValue(unit, 'Service', 'PrivateTmp')).toBe('yes');
    expect(unitValue(unit, 'Service', 'CapabilityBoundingSet')).toBe('');
    expect(unitValue(unit, 'Service', 'RestrictAddressFamilies')?.split(' ')).toContain('AF_UNIX');
    const writable = unitValue(unit, 'Service', 'ReadWritePaths')?.split(' ') ?? [];
    // Each optional (`-`): a missing folder must not fail the start.
    expect(writable.sort()).toEqual([`-${posix.dirname(host.corefile)}`, `-${host.status_dir}`].sort());
  });

  it('gives the service user the lock folder its config uses, which ProtectSystem=strict would leave read-only', () => {
    // The lock folder must be 0700 and the service user's (or root's), and survive a restart.
    expect(`/run/${unitValue(unit, 'Service', 'RuntimeDirectory')}`).toBe(host.lock_dir);
    expect(unitValue(unit, 'Service', 'RuntimeDirectoryMode')).toBe('0700');
    expect(unitValue(unit, 'Service', 'RuntimeDirectoryPreserve')).toBe('yes');
  });

  it('waits for the network and checks the Node version before starting', () => {
    expect(unitValue(unit, 'Unit', 'Wants')?.split(' ')).toContain('network-online.target');
    expect(unitValue(unit, 'Unit', 'After')?.split(' ')).toContain('network-online.target');
    expect(unitValue(unit, 'Service', 'ExecStartPre')).toBe(
      '/usr/bin/env node /opt/pic-reconciler/dist/runtime/check-node-version.js',
    );
    const check = spawnSync(process.execPath, [builtEntry('runtime/check-node-version.js')], { encoding: 'utf8' });
    expect(check.status).toBe(0);
    expect(check.stderr).toBe('');
  });

  it('passes systemd-analyze verify without a warning', () => {
    const out = systemdVerify('deploy/pic-reconciler.service');
    if (out !== null) expect(out).toBe('');
  });
});

describe('deploy/gitops', () => {
  const compose = readCompose('deploy/gitops/docker-compose.git-sync.yml');
  const gitSync = serviceOf(compose, 'git-sync');
  const controller = serviceOf(compose, 'pic-reconciler');
  const gitArgs = gitSync.command ?? [];
  const arg = (name: string): string | undefined =>
    gitArgs.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

  it('runs git-sync v4 publishing the repository through a `state` symlink in a named volume', () => {
    expect(gitSync.image).toMatch(/^registry\.k8s\.io\/git-sync\/git-sync:v4\./);
    expect(arg('repo')).toMatch(/^https:\/\//);
    expect(arg('link')).toBe('state');
    const root = arg('root') ?? '';
    const volume = mountsOf(gitSync).find((m) => m.target === root);
    expect(volume?.named).toBe(true);
    expect(volume?.readOnly).toBe(false);
  });

  it('points the controller, read-only, at a folder behind that symlink', () => {
    const volume = mountsOf(gitSync).find((m) => m.target === arg('root'));
    const controllerMount = mountsOf(controller).find((m) => m.source === volume?.source);
    expect(controllerMount?.readOnly).toBe(true);
    const stateDir = flagValue(controller.command ?? [], '--state') ?? '';
    expect(
      stateDir.startsWith(`${controllerMount?.target}/state/`) || stateDir === `${controllerMount?.target}/state`,
    ).toBe(true);
    expect(controller.depends_on?.['git-sync']?.condition).toBe('service_started');
    expectControllerService(compose, controller, stateDir);
  });

  it('offers a systemd timer pulling fast-forward only, every minute, into the folder the host unit reads', () => {
    const service = readUnit('deploy/gitops/cell-state-pull.service');
    const timer = readUnit('deploy/gitops/cell-state-pull.timer');
    expect(unitValue(service, 'Service', 'Type')).toBe('oneshot');
    expect(unitValue(service, 'Service', 'ExecStart')).toBe('/usr/bin/git -C /srv/cell-state pull --ff-only --quiet');
    expect(unitValue(timer, 'Timer', 'OnUnitActiveSec')).toBe('1min');
    const hostArgv = (unitValue(readUnit('deploy/pic-reconciler.service'), 'Service', 'ExecStart') ?? '').split(/\s+/);
    expect(flagValue(hostArgv, '--state')).toBe('/srv/cell-state');
    for (const file of ['deploy/gitops/cell-state-pull.service', 'deploy/gitops/cell-state-pull.timer']) {
      const out = systemdVerify(file);
      if (out !== null) expect(out, file).toBe('');
    }
  });
});

// ---- the image on a cell of real containers ---------------------------------------------------

const CHECK_SCRIPT = join(REPO, 'scripts/check-dockerfile.sh');
const TEST_IMAGE = 'pic-reconciler:test';
const SIGNAL_CATCHER = [
  'sh',
  '-c',
  'trap "echo got >> /tmp/sig" USR1; trap "exit 0" TERM; while true; do sleep 0.2; done',
];

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runProgram(file: string, args: readonly string[], timeoutMs: number): Promise<Ran> {
  return new Promise((done) => {
    execFile(file, [...args], { cwd: REPO, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
    );
  });
}

const runScript = (args: readonly string[], timeoutMs: number): Promise<Ran> =>
  runProgram('bash', [CHECK_SCRIPT, ...args], timeoutMs);

async function docker(args: readonly string[]): Promise<string> {
  const result = await runProgram('docker', args, 30_000);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')}: exit ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return port;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * The compose service as `docker run` options: every mount source goes through `sources`
 * (a source the table lacks is an error, so a mount added to the compose file is not
 * silently left out), DOCKER_GID becomes the socket's group.
 */
function hostConfigOf(
  service: Service,
  sources: Readonly<Record<string, string>>,
  dockerGid: number,
): Record<string, unknown> {
  const binds = mountsOf(service).map((m) => {
    const source = m.source === '/var/run/docker.sock' ? m.source : sources[m.source];
    if (source === undefined) throw new Error(`no test source for the compose mount ${m.source}`);
    return `${source}:${m.target}${m.readOnly ? ':ro' : ''}`;
  });
  const tmpfs = z.array(z.string()).parse(service.tmpfs ?? []);
  return {
    Binds: binds,
    NetworkMode: service.network_mode,
    GroupAdd: (service.group_add ?? []).map((g) => (g.includes('DOCKER_GID') ? String(dockerGid) : g)),
    CapDrop: service.cap_drop,
    SecurityOpt: z.array(z.string()).parse(service.security_opt ?? []),
    ReadonlyRootfs: service.read_only,
    Tmpfs: Object.fromEntries(tmpfs.map((path) => [path, ''])),
  };
}

describe('deploy/Dockerfile built and run as deploy/docker-compose.yml says', () => {
  const prerequisites = requirePrerequisites(['root', 'dockerd', 'docker', 'busybox']);
  const controller = containerName('deploy-controller');
  const statusVolume = `${controller}-status`;
  let work = '';
  let buildRan = false;
  let imageReady = false;

  beforeAll(async () => {
    if (!prerequisites.ok) return;
    await ensureDockerDaemon();
    work = await mkdtemp(join(tmpdir(), 'pict-deploy-'));
  });

  afterAll(async () => {
    if (!prerequisites.ok) return;
    await removeContainer(dockerClient(), controller);
    await dockerClient()
      .getVolume(statusVolume)
      .remove()
      .catch(() => undefined);
    await removeTestContainers();
    if (buildRan) await runScript(['--clean'], 120_000);
    await rm(work, { recursive: true, force: true });
  });

  it('builds, answers --help, validates the example state, runs as non-root with runtime dependencies only', async () => {
    const started = Date.now();
    const result = await runScript(['--keep'], 240_000);
    buildRan = true;
    const tail = result.stderr.trim().split('\n').slice(-25).join('\n');
    expect(result.code, tail).toBe(0);
    expect(result.stdout.trim()).toBe('ok');
    imageReady = true;
    // On PATH, and only runtime code in dist.
    const inside = await docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'sh',
      TEST_IMAGE,
      '-c',
      'command -v pic-reconciler && pic-reconciler --help >/dev/null && echo on-path; ls /app/dist',
    ]);
    expect(inside.split('\n')).toEqual(
      expect.arrayContaining(['/usr/local/bin/pic-reconciler', 'on-path', 'cli', 'loop', 'runtime']),
    );
    for (const dev of ['bench', 'demo', 'soak', 'testbed']) expect(inside.split('\n')).not.toContain(dev);
    console.info(`[deploy] check-dockerfile.sh took ${Math.round((Date.now() - started) / 1000)} s`);
  }, 300_000);

  it('converges a cell of real containers, turns healthy, follows a state change and exits 0 on SIGTERM', async () => {
    expect(imageReady, `${TEST_IMAGE} was not built: see the test above`).toBe(true);
    const testImage = await buildTestImage();
    const [wireguard, caddy, api, dns] = await Promise.all([
      startTestContainer({ role: 'deploy-wireguard', image: testImage }),
      startTestContainer({ role: 'deploy-caddy', image: testImage }),
      startTestContainer({ role: 'deploy-api', image: testImage }),
      startTestContainer({ role: 'deploy-dns', image: testImage, cmd: SIGNAL_CATCHER }),
    ]);

    // deploy/config.json with this test's containers and a free loopback port.
    const port = await freePort();
    const config = { ...(JSON.parse(read('deploy/config.json')) as Record<string, unknown>) };
    config.targets = {
      wireguard: `docker:${wireguard}`,
      caddy: `docker:${caddy}`,
      dns: `docker:${dns}`,
      api: `docker:${api}`,
    };
    config.listen = `127.0.0.1:${port}`;
    const state = join(work, 'state');
    const dnsDir = join(work, 'dns');
    await mkdir(join(state, 'peers'), { recursive: true });
    await mkdir(dnsDir, { mode: 0o777 });
    await chmod(dnsDir, 0o777); // the image's user (1000) writes the Corefile here
    await writeFile(join(work, 'config.json'), JSON.stringify(config));
    await writeFile(join(state, 'cell.json'), JSON.stringify({ kind: 'Cell', name: 'home' }));
    await writeFile(
      join(state, 'peers', 'alice.json'),
      JSON.stringify({ kind: 'Peer', name: 'alice', ip: '10.0.0.2' }),
    );

    const service = serviceOf(readCompose('deploy/docker-compose.yml'), 'pic-reconciler');
    const hostConfig = hostConfigOf(
      service,
      {
        './state': state,
        './config/dns': dnsDir,
        './pic-reconciler/deploy/config.json': join(work, 'config.json'),
        'pic-reconciler-status': statusVolume,
      },
      statSync('/var/run/docker.sock').gid,
    );
    await runContainer(dockerClient(), controller, {
      Image: TEST_IMAGE,
      HostConfig: hostConfig,
      // The image's healthcheck, polled faster than its 30 s.
      Healthcheck: { Interval: 1_000_000_000 },
    });
    const logs = async (): Promise<string> => {
      const out = await runProgram('docker', ['logs', '--tail', '5', controller], 10_000);
      return `${out.stdout}${out.stderr}`.trim();
    };

    const ready = async (): Promise<boolean> =>
      (
        await runProgram(
          'docker',
          [
            'exec',
            controller,
            'node',
            '/app/dist/cli/main.js',
            'status',
            '--config',
            '/etc/pic-reconciler/config.json',
          ],
          10_000,
        )
      ).code === 0;
    const healthy = async (): Promise<boolean> =>
      (await dockerClient().getContainer(controller).inspect()).State.Health?.Status === 'healthy';
    await waitFor(
      `a ready, healthy controller (${await logs()})`,
      async () => (await ready()) && (await healthy()),
      45_000,
    );

    const iptables = (): Promise<string> => docker(['exec', wireguard, 'iptables-save']);
    expect(await iptables()).toMatch(/-A PIC-FORWARD -s 10\.0\.0\.2\/32 .*-j PIC-PEER-/);
    const vips = await docker(['exec', caddy, 'ip', '-4', 'addr', 'show', 'dev', 'eth0']);
    expect(vips).toMatch(/inet 172\.20\.0\.21\/16 .*eth0:pic/);
    expect(readFileSync(join(dnsDir, 'Corefile'), 'utf8')).toContain('file /data/cell.zone');
    expect(await docker(['exec', dns, 'cat', '/tmp/sig'])).toContain('got');
    const volume = await dockerClient().getVolume(statusVolume).inspect();
    expect(readdirSync(volume.Mountpoint).length).toBeGreaterThan(0);

    await writeFile(
      join(state, 'peers', 'bob.json'),
      JSON.stringify({ kind: 'Peer', name: 'bob', ip: '10.0.0.3', internet_access: false }),
    );
    await waitFor('the new peer in the live rules', async () => /-s 10\.0\.0\.3\/32 /.test(await iptables()), 20_000);

    await stopContainer(dockerClient(), controller, 60);
    expect((await dockerClient().getContainer(controller).inspect()).State.ExitCode).toBe(0);
  }, 120_000);
});
