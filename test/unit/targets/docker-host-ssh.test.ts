import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecError } from '../../../src/model/target.js';
import { dockerContainerAddress } from '../../../src/targets/docker-container.js';
import { createDockerTarget } from '../../../src/targets/docker-target.js';

/** DOCKER_HOST=ssh:// to a port where nothing listens: one clear line naming the target, never a crash. */
describe('DOCKER_HOST=ssh:// that does not answer', () => {
  const saved = process.env.DOCKER_HOST;
  beforeAll(() => {
    process.env.DOCKER_HOST = 'ssh://op@127.0.0.1:1';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });

  it('fails an exec and the api lookup as ExecErrors of one line naming the target and the endpoint', async () => {
    const exec = await createDockerTarget('cell-wireguard')
      .exec(['iptables-save'])
      .catch((e: unknown) => e);
    expect(exec).toBeInstanceOf(ExecError);
    expect((exec as Error).message).toMatch(
      /^docker:cell-wireguard: iptables-save: ssh:\/\/127\.0\.0\.1:1: connection refused/,
    );
    expect((exec as Error).message).not.toMatch(/\n/);
    await expect(dockerContainerAddress('cell-api')).rejects.toThrow(
      /^docker:cell-api: inspect: ssh:\/\/127\.0\.0\.1:1: /,
    );
  });
});
