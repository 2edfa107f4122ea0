import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecError } from '../../../src/model/target.js';
import { dockerClient } from '../../../src/targets/docker-client.js';
import { dockerContainerAddress } from '../../../src/targets/docker-container.js';
import { createDockerTarget } from '../../../src/targets/docker-target.js';

/** A DOCKER_HOST=ssh:// user (ssh2 is not installed, see vendor/ssh2-absent): one clear line, never a crash. */
describe('DOCKER_HOST=ssh://', () => {
  const saved = process.env.DOCKER_HOST;
  beforeAll(() => {
    process.env.DOCKER_HOST = 'ssh://op@cell';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });

  const LINE =
    'DOCKER_HOST=ssh://op@cell: ssh is not supported; use a unix socket (unix:///var/run/docker.sock) or tcp://HOST:PORT';

  it('is refused by the client in one line', () => {
    expect(() => dockerClient()).toThrow(LINE);
  });

  it('fails an exec and the api lookup as ExecErrors of one line naming the target', async () => {
    const exec = await createDockerTarget('cell-wireguard')
      .exec(['iptables-save'])
      .catch((e: unknown) => e);
    expect(exec).toBeInstanceOf(ExecError);
    expect((exec as Error).message).toBe(`docker:cell-wireguard: iptables-save: ${LINE}`);
    await expect(dockerContainerAddress('cell-api')).rejects.toThrow(`docker:cell-api: inspect: ${LINE}`);
  });
});
