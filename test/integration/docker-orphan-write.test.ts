/**
 * A write left running in a container by a writer that is gone (SIGKILL, a timed-out exec):
 * Docker cannot kill an exec'd process and the lock's fd does not reach into the container, so
 * the next writer looks at the container's running execs and waits for ours to end, never for an
 * operator's shell. The slow `iptables-restore` is a stand-in on the container's PATH (a real
 * restore ends too fast to catch in flight), started the way a killed writer leaves one: an exec
 * nobody waits for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitOrphanWrites } from '../../src/cli/await-orphan-writes.js';
import type { LocatorByRole } from '../../src/model/locator.js';
import { dockerClient } from '../../src/targets/docker-client.js';
import { createDockerTarget } from '../../src/targets/docker-target.js';
import { runningExecs } from '../../src/targets/docker-running-execs.js';
import { buildTestImage, ensureDockerDaemon, removeTestContainers, startTestContainer } from '../helpers/docker.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';

const ready = requirePrerequisites(['root', 'dockerd', 'docker', 'busybox', 'iptables', 'ip']);
const SLOW_RESTORE =
  'mkdir -p /usr/local/sbin && printf "#!/bin/sh\\nsleep 3\\n" > /usr/local/sbin/iptables-restore && chmod 755 /usr/local/sbin/iptables-restore';

describe('a write an earlier writer left running in the container', () => {
  let container = '';
  let targets: LocatorByRole;

  beforeAll(async () => {
    if (!ready.ok) return;
    await ensureDockerDaemon();
    container = await startTestContainer({ role: 'orphan', image: await buildTestImage() });
    await createDockerTarget(container).exec(['sh', '-c', SLOW_RESTORE]);
    targets = {
      wireguard: { kind: 'docker', name: container },
      caddy: { kind: 'docker', name: container },
      dns: { kind: 'none' },
      api: { kind: 'ip', address: '172.20.0.9' },
    };
  }, 120_000);
  afterAll(async () => {
    await removeTestContainers();
  });

  /** Starts an exec and leaves it: nobody reads it or waits for it. */
  async function leaveRunning(cmd: readonly string[]): Promise<string> {
    const exec = await dockerClient()
      .getContainer(container)
      .exec({ Cmd: [...cmd] });
    await exec.start({ Detach: true });
    return exec.id;
  }
  const running = async (id: string): Promise<boolean> => (await dockerClient().getExec(id).inspect()).Running;

  it('the next writer waits for it to end and says so once; an operator shell is not waited for', async () => {
    const operator = await leaveRunning(['sleep', '30']);
    expect(await awaitOrphanWrites(targets, { note: () => expect.fail('waited for an operator exec') })).toBeNull();

    const orphan = await leaveRunning(['iptables-restore', '--noflush', '-w', '5']);
    expect(await running(orphan)).toBe(true);
    const notes: string[] = [];
    const t0 = performance.now();
    expect(await awaitOrphanWrites(targets, { note: (line) => notes.push(line), pollMs: 50 })).toBeNull();
    expect(await running(orphan)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThan(1_000);
    expect(notes).toEqual([
      expect.stringMatching(new RegExp(`docker:${container}: pid \\d+: iptables-restore --noflush -w 5`)),
    ]);
    expect(await running(operator)).toBe(true);
  });

  it('one still running at the end of the wait is a refusal naming it', async () => {
    await leaveRunning(['iptables-restore', '--noflush']);
    const refusal = await awaitOrphanWrites(targets, { note: () => undefined, waitMs: 300, pollMs: 50 });
    expect(refusal).toMatch(/still runs after 0 s \(docker:.*: iptables-restore --noflush\); Docker cannot end it/);
  });

  it('after a write of ours timed out, the same target waits for it to end before its next exec', async () => {
    const target = createDockerTarget(container);
    await expect(target.exec(['iptables-restore', '--noflush'], { timeoutMs: 300 })).rejects.toThrow(/timed out/);
    // A next exec with a deadline shorter than the write's rest is refused, naming the write.
    await expect(target.exec(['true'], { timeoutMs: 300 })).rejects.toThrow(/still runs .*iptables-restore --noflush/);
    const t0 = performance.now();
    await expect(target.exec(['true'], { timeoutMs: 10_000 })).resolves.toMatchObject({ exitCode: 0 });
    expect(performance.now() - t0).toBeGreaterThan(1_000);
    const { running } = await runningExecs(container);
    expect(running.filter(({ argv }) => argv[0] === 'iptables-restore')).toEqual([]);
  });
});
