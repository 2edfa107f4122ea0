import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/**
 * Throwaway network namespaces for integration tests: unique names (`pict-<pid>-<n>`), veth
 * links, addresses and routes, TCP listeners and connect probes run by node inside them.
 * Everything created here is removed by cleanupNamespaces() (call it in afterAll) and, as a
 * last resort, when the process exits. Nothing touches the host's own namespace.
 */

export const NAMESPACE_PREFIX = `pict-${process.pid}-`;

const namespaces = new Set<string>();
const listeners = new Set<ChildProcess>();
let counter = 0;

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv (no shell) on the host; resolves whatever the exit code. */
export function run(argv: readonly string[], stdin?: string): Promise<RunResult> {
  const [program, ...args] = argv;
  if (program === undefined) return Promise.reject(new Error('empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}

/** Like run, but a non-zero exit is an error naming the command. */
export async function runOk(argv: readonly string[], stdin?: string): Promise<string> {
  const result = await run(argv, stdin);
  if (result.code !== 0) throw new Error(`${argv.join(' ')}: exit ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Runs argv inside the namespace and requires exit 0. */
export function nsRunOk(ns: string, argv: readonly string[], stdin?: string): Promise<string> {
  return runOk(['ip', 'netns', 'exec', ns, ...argv], stdin);
}

/**
 * A fresh namespace with its loopback up and forwarding off. A new namespace copies the host's
 * ip_forward (net.core.devconf_inherit_init_net=0), so it is set explicitly for the same result everywhere.
 */
export async function createNamespace(): Promise<string> {
  counter += 1;
  const name = `${NAMESPACE_PREFIX}${counter}`;
  // Registered before it exists: a process stopped while `ip netns add` runs still removes it on exit.
  namespaces.add(name);
  await runOk(['ip', 'netns', 'add', name]).catch((error: unknown) => {
    namespaces.delete(name);
    throw error;
  });
  await runOk(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  await setForwarding(name, false);
  return name;
}

export async function deleteNamespace(name: string): Promise<void> {
  await run(['ip', 'netns', 'del', name]);
  namespaces.delete(name);
}

/** Stops every listener and deletes every namespace this process created. */
export async function cleanupNamespaces(): Promise<void> {
  for (const child of listeners) stopChild(child);
  listeners.clear();
  await Promise.all([...namespaces].map(deleteNamespace));
}

export interface VethEnd {
  readonly ns: string;
  /** Interface name inside its namespace (at most 15 characters). */
  readonly dev: string;
  /** `a.b.c.d/n` to assign, if any. */
  readonly cidr?: string;
}

/** A veth pair created straight inside the two namespaces (never in the host's), both ends up. */
export async function connectVeth(a: VethEnd, b: VethEnd): Promise<void> {
  await runOk(['ip', 'link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
  for (const end of [a, b]) {
    if (end.cidr !== undefined) await runOk(['ip', '-n', end.ns, 'addr', 'add', end.cidr, 'dev', end.dev]);
    await runOk(['ip', '-n', end.ns, 'link', 'set', end.dev, 'up']);
  }
}

export async function addAddress(ns: string, dev: string, cidr: string): Promise<void> {
  await runOk(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', dev]);
}

/** `ip route add ...args` inside the namespace, e.g. `['default', 'via', '10.9.0.1']`. */
export async function addRoute(ns: string, args: readonly string[]): Promise<void> {
  await runOk(['ip', '-n', ns, 'route', 'add', ...args]);
}

/** Turns the namespace into a router; the sysctl is per namespace, the host's stays as it is. */
export async function enableForwarding(ns: string): Promise<void> {
  await setForwarding(ns, true);
}

async function setForwarding(ns: string, enabled: boolean): Promise<void> {
  await nsRunOk(ns, ['sysctl', '-q', '-w', `net.ipv4.ip_forward=${enabled ? 1 : 0}`]);
}

export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

export interface Listener {
  readonly ns: string;
  readonly pid: number;
  stop(): void;
}

// Answers every connection with its label, so a probe can tell who answered (DNAT tests).
const LISTENER_SCRIPT = `
const net = require('net');
const [endpoints, label] = [JSON.parse(process.argv[1]), process.argv[2]];
let ready = 0;
for (const e of endpoints) {
  const server = net.createServer((socket) => { socket.on('error', () => {}); socket.end(label + '\\n'); });
  server.on('error', (error) => { console.error(error.message); process.exit(1); });
  server.listen(e.port, e.ip, () => { if (++ready === endpoints.length) console.log('ready'); });
}`;

/** One node process in the namespace listening on every endpoint; resolves once all are bound. */
export function startListener(
  ns: string,
  endpoints: readonly Endpoint[],
  label = ns,
  readyTimeoutMs = 5_000,
): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '-e', LISTENER_SCRIPT, JSON.stringify(endpoints), label],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    listeners.add(child);
    let stderr = '';
    const timer = setTimeout(() => fail(`listener in ${ns} not ready after ${readyTimeoutMs} ms`), readyTimeoutMs);
    const fail = (message: string): void => {
      clearTimeout(timer);
      stopChild(child);
      listeners.delete(child);
      reject(new Error(`${message}: ${stderr.trim()}`));
    };
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => fail(`listener in ${ns} exited with ${code}`));
    child.stdout.once('data', () => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const pid = child.pid ?? -1;
      resolve({
        ns,
        pid,
        stop: () => {
          stopChild(child);
          listeners.delete(child);
        },
      });
    });
  });
}

export type ProbeOutcome = 'connected' | 'refused' | 'timeout' | 'unreachable' | `error:${string}`;

export interface ProbeResult {
  readonly outcome: ProbeOutcome;
  /** The label of the listener that answered, when it answered in time. */
  readonly answeredBy: string | null;
}

const PROBE_SCRIPT = `
const net = require('net');
const [endpoints, timeoutMs] = [JSON.parse(process.argv[1]), Number(process.argv[2])];
const probe = (e) => new Promise((resolve) => {
  const socket = net.connect({ host: e.ip, port: e.port });
  let outcome = null, data = '';
  const done = (value) => { clearTimeout(timer); socket.destroy(); resolve({ outcome: outcome ?? value, answeredBy: data.trim() || null }); };
  const timer = setTimeout(() => done('timeout'), timeoutMs);
  socket.on('connect', () => { outcome = 'connected'; });
  socket.on('data', (chunk) => { data += chunk; });
  socket.on('end', () => done('connected'));
  socket.on('error', (error) => done(error.code === 'ECONNREFUSED' ? 'refused'
    : error.code === 'EHOSTUNREACH' || error.code === 'ENETUNREACH' ? 'unreachable' : 'error:' + error.code));
});
Promise.all(endpoints.map(probe)).then((results) => console.log(JSON.stringify(results)));`;

/** Connects from the namespace to every endpoint at once; each attempt is bounded by timeoutMs. */
export async function probe(from: string, endpoints: readonly Endpoint[], timeoutMs = 1_500): Promise<ProbeResult[]> {
  if (endpoints.length === 0) return [];
  const out = await nsRunOk(from, [process.execPath, '-e', PROBE_SCRIPT, JSON.stringify(endpoints), String(timeoutMs)]);
  return JSON.parse(out) as ProbeResult[];
}

/** Several sources in parallel: one node process per source namespace. */
export function probeAll(
  batches: readonly { readonly from: string; readonly to: readonly Endpoint[] }[],
  timeoutMs = 1_500,
): Promise<ProbeResult[][]> {
  return Promise.all(batches.map((batch) => probe(batch.from, batch.to, timeoutMs)));
}

function stopChild(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

// Last resort for a run that dies between setup and afterAll: no namespace or listener outlives us.
process.on('exit', () => {
  for (const child of listeners) stopChild(child);
  for (const name of namespaces) spawnSync('ip', ['netns', 'del', name]);
});
