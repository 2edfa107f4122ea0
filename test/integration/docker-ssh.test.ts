import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerClient } from '../../src/targets/docker-client.js';
import { builtEntry } from '../helpers/build-dist.js';
import { buildTestImage, ensureDockerDaemon, removeTestContainers, startTestContainer } from '../helpers/docker.js';
import { startLocalSshd, type LocalSshd } from '../helpers/local-sshd.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { runProgram } from '../helpers/run-cli.js';

/**
 * DOCKER_HOST=ssh:// as docker-modem uses it (ssh2, then `docker system dial-stdio` on the host),
 * against an sshd of the test's own on 127.0.0.1 in front of the local daemon: the client our code
 * builds reaches the daemon, execs in a container through it, and refuses a host it does not know.
 */
describe('DOCKER_HOST=ssh:// through a local sshd', () => {
  const prerequisites = requirePrerequisites(['root', 'dockerd', 'docker', 'busybox', 'sshd']);
  let work = '';
  let sshd: LocalSshd | null = null;
  let container = '';

  beforeAll(async () => {
    if (!prerequisites.ok) return;
    await ensureDockerDaemon();
    container = await startTestContainer({ role: 'ssh', image: await buildTestImage() });
    work = await mkdtemp(join(tmpdir(), `pict-${process.pid}-sshd-`));
    sshd = await startLocalSshd(work);
  }, 300_000);

  afterAll(async () => {
    await sshd?.stop();
    await removeTestContainers();
    if (work !== '') await rm(work, { recursive: true, force: true });
  });

  const endpoint = (): { kind: 'ssh'; host: string; port: number; user: string } => ({
    kind: 'ssh',
    host: '127.0.0.1',
    port: sshd?.port ?? 0,
    user: 'root',
  });
  const files = (home: string): { home: string; agent: undefined; globalKnownHosts: string } => ({
    home,
    agent: undefined,
    globalKnownHosts: join(work, 'no-global-known-hosts'),
  });

  it('the client reaches the daemon and the container', async () => {
    const docker = createDockerClient(endpoint(), files(sshd?.home ?? ''));
    expect(String(await docker.ping())).toBe('OK');
    const info = await docker.getContainer(container).inspect();
    expect(info.State.Running).toBe(true);
  });

  it('the built controller code, given DOCKER_HOST=ssh://root@127.0.0.1:PORT, execs in the container', async () => {
    // What a user's process does: dockerClient() reads DOCKER_HOST and ~/.ssh, the Docker target execs.
    const script = join(work, 'exec-over-ssh.mjs');
    await writeFile(
      script,
      [
        `const { createDockerTarget } = await import(${JSON.stringify(builtEntry('targets/docker-target.js'))});`,
        `const target = createDockerTarget(${JSON.stringify(container)});`,
        "const plain = await target.exec(['echo', 'over ssh']);",
        "const piped = await target.exec(['cat'], { stdin: 'stdin over ssh\\n' });",
        'console.log(JSON.stringify({ plain: plain.stdout, piped: piped.stdout, code: plain.exitCode }));',
        '',
      ].join('\n'),
    );
    const result = await runProgram([process.execPath, script], {
      env: { DOCKER_HOST: `ssh://root@127.0.0.1:${sshd?.port ?? 0}`, HOME: sshd?.home ?? '', SSH_AUTH_SOCK: '' },
    });
    // docker-modem 5.0.7 formats its request URL as `ssh:HOST:PORT/…` (no //), which Node's
    // url.parse warns about once per process (DEP0170); nothing else may be printed.
    const other = result.stderr
      .split('\n')
      .filter((line) => line !== '' && !/DEP0170\] DeprecationWarning: The URL ssh:|--trace-deprecation/.test(line));
    expect(other).toEqual([]);
    expect(JSON.parse(result.stdout)).toEqual({ plain: 'over ssh\n', piped: 'stdin over ssh\n', code: 0 });
  });

  it('refuses a server whose host key is not in known_hosts, and a key sshd does not accept', async () => {
    const stranger = join(work, 'stranger');
    await writeFile(join(work, 'empty'), '');
    const unknownHost = createDockerClient(endpoint(), { ...files(stranger), globalKnownHosts: join(work, 'empty') });
    await expect(unknownHost.ping()).rejects.toThrow(/host denied/i);
    // A home with the server's known_hosts line but no key: nothing to authenticate with.
    const { copyFile, mkdir } = await import('node:fs/promises');
    await mkdir(join(stranger, '.ssh'), { recursive: true });
    await copyFile(join(sshd?.home ?? '', '.ssh', 'known_hosts'), join(stranger, '.ssh', 'known_hosts'));
    const noKey = createDockerClient(endpoint(), files(stranger));
    await expect(noKey.ping()).rejects.toThrow(/authentication methods failed/i);
  });
});
