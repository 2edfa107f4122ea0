import { describe, expect, it } from 'vitest';
import { dockerEndpointOf } from '../../../src/targets/docker-host.js';

const HOME = '/home/op';

describe('dockerEndpointOf', () => {
  it('defaults to the local socket', () => {
    expect(dockerEndpointOf({}, HOME)).toEqual({
      ok: true,
      value: { kind: 'unix', socketPath: '/var/run/docker.sock' },
    });
    expect(dockerEndpointOf({ DOCKER_HOST: '' }, HOME)).toEqual({
      ok: true,
      value: { kind: 'unix', socketPath: '/var/run/docker.sock' },
    });
  });

  it('reads unix:// and tcp:// hosts', () => {
    expect(dockerEndpointOf({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, HOME)).toEqual({
      ok: true,
      value: { kind: 'unix', socketPath: '/run/user/1000/docker.sock' },
    });
    expect(dockerEndpointOf({ DOCKER_HOST: 'tcp://10.0.0.5:2375' }, HOME)).toEqual({
      ok: true,
      value: { kind: 'tcp', host: '10.0.0.5', port: 2375, tls: null },
    });
    expect(dockerEndpointOf({ DOCKER_HOST: 'tcp://docker.lan' }, HOME)).toEqual({
      ok: true,
      value: { kind: 'tcp', host: 'docker.lan', port: 2375, tls: null },
    });
    expect(dockerEndpointOf({ DOCKER_HOST: 'tcp://[fd00::5]:2375/' }, HOME)).toEqual({
      ok: true,
      value: { kind: 'tcp', host: 'fd00::5', port: 2375, tls: null },
    });
  });

  it('uses TLS with the CLI`s file names when DOCKER_TLS_VERIFY is set', () => {
    expect(
      dockerEndpointOf(
        { DOCKER_HOST: 'tcp://docker.lan', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/etc/docker-certs/' },
        HOME,
      ),
    ).toEqual({
      ok: true,
      value: {
        kind: 'tcp',
        host: 'docker.lan',
        port: 2376,
        tls: {
          caFile: '/etc/docker-certs/ca.pem',
          certFile: '/etc/docker-certs/cert.pem',
          keyFile: '/etc/docker-certs/key.pem',
        },
      },
    });
    const fromHome = dockerEndpointOf({ DOCKER_HOST: 'tcp://docker.lan:2376', DOCKER_TLS_VERIFY: '1' }, HOME);
    expect(fromHome.ok && fromHome.value.kind === 'tcp' && fromHome.value.tls?.caFile).toBe('/home/op/.docker/ca.pem');
    // An empty DOCKER_TLS_VERIFY is unset, as for the docker CLI.
    const plain = dockerEndpointOf({ DOCKER_HOST: 'tcp://docker.lan:2375', DOCKER_TLS_VERIFY: '' }, HOME);
    expect(plain.ok && plain.value.kind === 'tcp' && plain.value.tls).toBeNull();
  });

  it('reads ssh://[USER@]HOST[:PORT] as the docker CLI does', () => {
    expect(dockerEndpointOf({ DOCKER_HOST: 'ssh://op@cell' }, HOME)).toEqual({
      ok: true,
      value: { kind: 'ssh', host: 'cell', port: 22, user: 'op' },
    });
    expect(dockerEndpointOf({ DOCKER_HOST: 'ssh://[fd00::5]:2222' }, HOME)).toEqual({
      ok: true,
      value: { kind: 'ssh', host: 'fd00::5', port: 2222, user: null },
    });
  });

  it('refuses in one line what it cannot use', () => {
    for (const host of [
      'npipe:////./pipe/docker_engine',
      'docker.lan:2375',
      'unix://',
      'tcp://',
      'tcp://h:99999',
      'tcp://h:x',
      'ssh://',
      'ssh://op@cell/path',
      'ssh://cell:0',
    ]) {
      const result = dockerEndpointOf({ DOCKER_HOST: host }, HOME);
      expect(result.ok, host).toBe(false);
      if (!result.ok) expect(result.error).not.toMatch(/\n/);
    }
  });
});
