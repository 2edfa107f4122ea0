import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { withDeadline } from '../../src/targets/deadline.js';
import { dockerClient } from '../../src/targets/docker-client.js';
import { removeContainer, runContainer, stopContainer } from '../../src/targets/docker-container-lifecycle.js';
import { runOk } from '../../src/testbed/netns.js';
import { ensureSuiteDaemon } from './suite-daemon.js';

/**
 * Real Docker for integration tests: uses the daemon on the socket when it answers, otherwise
 * the one the run starts (`dockerd --iptables=false --ip6tables=false`, so the host's rules stay
 * untouched; test/helpers/suite-daemon.ts), which the global teardown stops. Containers get
 * unique names (`pict-<pid>-<role>`) and are removed.
 */

const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-test-image.sh', import.meta.url));

const containers = new Set<string>();
const networks = new Set<string>();
let cellNetwork: Promise<string> | null = null;

async function daemonAnswers(): Promise<boolean> {
  try {
    await withDeadline(dockerClient().ping(), 2_000);
    return true;
  } catch {
    return false;
  }
}

/** Makes sure a daemon answers; the run starts its own only when none does. */
export async function ensureDockerDaemon(): Promise<void> {
  if (await daemonAnswers()) return;
  if (process.env.DOCKER_HOST !== undefined) throw new Error(`DOCKER_HOST=${process.env.DOCKER_HOST} does not answer`);
  await ensureSuiteDaemon(inject('pictRunDir'), {
    argv: ['dockerd', '--iptables=false', '--ip6tables=false'],
    answers: daemonAnswers,
  });
}

/** Builds (or finds) the `pic-test-cell:<hash>` image and returns its reference. */
export async function buildTestImage(): Promise<string> {
  const out = await runOk(['bash', BUILD_SCRIPT]);
  const image = out.trim().split('\n').at(-1) ?? '';
  if (!image.startsWith('pic-test-cell:')) throw new Error(`build-test-image.sh printed no image: ${out}`);
  return image;
}

export function containerName(role: string): string {
  return `pict-${process.pid}-${role}`;
}

export interface ContainerSpec {
  readonly role: string;
  readonly image: string;
  /** Main process; by default one that idles until killed. */
  readonly cmd?: readonly string[];
}

const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'];

/**
 * Creates a network `pict-<pid>-<role>` on the first free subnet `subnetAt(0)`, `subnetAt(1)`, …
 * (test runs in parallel each hold one); removed with the containers.
 */
export async function createTestNetwork(role: string, subnetAt: (attempt: number) => string): Promise<string> {
  const name = containerName(role);
  for (let attempt = 0; attempt < 64; attempt++) {
    try {
      await dockerClient().createNetwork({ Name: name, IPAM: { Config: [{ Subnet: subnetAt(attempt) }] } });
      networks.add(name);
      return name;
    } catch (error) {
      if (!/overlap/i.test(String(error))) throw error;
    }
  }
  throw new Error(`no free subnet for the test network ${name}`);
}

/**
 * The network every test container joins: a /24 inside the example Cell's ip_range
 * 172.20.0.0/16 (and inside 172.20.0.0/17, for tests that change the prefix), where the
 * controller looks for the api's address.
 */
export function testCellNetwork(): Promise<string> {
  cellNetwork ??= createTestNetwork('cell', (attempt) => `172.20.${(process.pid + attempt) % 128}.0/24`);
  return cellNetwork;
}

/** Creates and starts a container with NET_ADMIN on the test cell network; returns its name. */
export async function startTestContainer(spec: ContainerSpec): Promise<string> {
  const name = containerName(spec.role);
  containers.add(name);
  const network = await testCellNetwork();
  await runContainer(dockerClient(), name, {
    Image: spec.image,
    Cmd: [...(spec.cmd ?? IDLE)],
    HostConfig: { CapAdd: ['NET_ADMIN'], NetworkMode: network },
  });
  return name;
}

export async function stopTestContainer(name: string): Promise<void> {
  await stopContainer(dockerClient(), name, 0);
}

/** Removes every container and network this process created (running or not). */
export async function removeTestContainers(): Promise<void> {
  await Promise.all(
    [...containers].map(async (name) => {
      // False when never created, or already gone.
      await removeContainer(dockerClient(), name);
      containers.delete(name);
    }),
  );
  await Promise.all(
    [...networks].map(async (name) => {
      await dockerClient()
        .getNetwork(name)
        .remove()
        .catch(() => undefined);
      networks.delete(name);
    }),
  );
  cellNetwork = null;
}

// Last resort when the run dies before afterAll: our containers do not outlive us (the daemon is the teardown's).
process.on('exit', () => {
  if (containers.size > 0) spawnSync('docker', ['rm', '-f', ...containers], { stdio: 'ignore' });
  if (networks.size > 0) spawnSync('docker', ['network', 'rm', ...networks], { stdio: 'ignore' });
});
