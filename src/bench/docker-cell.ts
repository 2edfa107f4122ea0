import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Target } from '../model/target.js';
import { withDeadline } from '../targets/deadline.js';
import { dockerClient } from '../targets/docker-client.js';
import { removeContainer as removeDockerContainer, runContainer } from '../targets/docker-container-lifecycle.js';
import { runOk } from '../testbed/netns.js';
import { benchCell, type BenchCell } from './netns-cell.js';

/**
 * The same cell on Docker: a wireguard and a caddy container of the test image (busybox,
 * iptables, iproute2; built by scripts/build-test-image.sh), run under unique names and
 * removed at the end. Only for counting and timing `docker exec` calls.
 */

const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-test-image.sh', import.meta.url));
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'];
const containers = new Set<string>();
let counter = 0;

/** Null when the daemon answers; otherwise why the Docker scenarios cannot run. */
export async function dockerProblem(): Promise<string | null> {
  try {
    await withDeadline(dockerClient().ping(), 3_000);
    return null;
  } catch (error) {
    return `docker daemon does not answer: ${(error as Error).message}`;
  }
}

/** Builds the test image, or finds it, and returns its reference. */
export async function benchImage(): Promise<string> {
  const out = await runOk(['bash', BUILD_SCRIPT]);
  const image = out.trim().split('\n').at(-1) ?? '';
  if (!image.startsWith('pic-test-cell:')) throw new Error(`build-test-image.sh printed no image: ${out}`);
  return image;
}

export async function startContainer(image: string, role: string): Promise<string> {
  counter += 1;
  const name = `pic-bench-${process.pid}-${counter}-${role}`;
  containers.add(name);
  // No Docker network: the bench needs none, and works whether or not the daemon has its bridge.
  await runContainer(dockerClient(), name, {
    Image: image,
    Cmd: IDLE,
    HostConfig: { CapAdd: ['NET_ADMIN'], NetworkMode: 'none' },
  });
  return name;
}

export async function removeContainer(name: string): Promise<void> {
  // False when already gone: nothing left to do either way.
  await removeDockerContainer(dockerClient(), name);
  containers.delete(name);
}

/**
 * Creates veth pairs inside a container (`[dev, peer]` each), both ends up: the interfaces the
 * cell's rules name. Plain argv, no shell: the image's busybox sh would run its own `ip` applet.
 */
async function addInterfaces(target: Target, pairs: readonly (readonly [string, string])[]): Promise<string | null> {
  for (const [dev, peer] of pairs) {
    for (const argv of [
      ['ip', 'link', 'add', dev, 'type', 'veth', 'peer', 'name', peer],
      ['ip', 'link', 'set', dev, 'up'],
      ['ip', 'link', 'set', peer, 'up'],
    ]) {
      const result = await target.exec(argv);
      if (result.exitCode !== 0) return `${target.locator}: ${argv.join(' ')}: ${result.stderr.trim()}`;
    }
  }
  return null;
}

/** A wireguard container (wg0 and eth0 as veths: this kernel has no wireguard links) and a caddy container (eth0). */
export async function createDockerCell(image: string): Promise<BenchCell> {
  const wg = await startContainer(image, 'wireguard');
  const caddy = await startContainer(image, 'caddy');
  const workDir = await mkdtemp(join(tmpdir(), 'pic-bench-docker-'));
  const dispose = async (): Promise<void> => {
    await Promise.all([removeContainer(wg), removeContainer(caddy), rm(workDir, { recursive: true, force: true })]);
  };
  const cell = benchCell(
    { wg, caddy, workDir, locators: { wireguard: `docker:${wg}`, caddy: `docker:${caddy}` } },
    dispose,
  );
  const problems = await Promise.all([
    addInterfaces(cell.targets.wireguard, [
      ['wg0', 'wgpeer'],
      ['eth0', 'eth0peer'],
    ]),
    addInterfaces(cell.targets.caddy, [['eth0', 'eth0peer']]),
  ]);
  const problem = problems.find((p) => p !== null);
  if (problem !== undefined && problem !== null) {
    await dispose();
    throw new Error(problem);
  }
  return cell;
}

// Last resort when the bench dies midway: our containers do not outlive it.
process.on('exit', () => {
  if (containers.size > 0) spawnSync('docker', ['rm', '-f', ...containers], { stdio: 'ignore' });
});
