import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecError, ProgramNotFoundError } from '../../src/model/target.js';
import { createRecordingTarget } from '../../src/testbed/recording-target.js';
import { dockerContainerAddress } from '../../src/targets/docker-container.js';
import { createDockerTarget } from '../../src/targets/docker-target.js';
import { parseLocator } from '../../src/model/locator.js';
import { createApiAddressSource } from '../../src/targets/api-address.js';
import { createDnsReloader } from '../../src/targets/dns-reloader.js';
import { openTarget } from '../../src/targets/open-cell-targets.js';
import {
  buildTestImage,
  containerName,
  ensureDockerDaemon,
  removeTestContainers,
  startTestContainer,
  stopTestContainer,
} from '../helpers/docker.js';
import { expectOk } from '../helpers/expect-ok.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';

const PEERS = 20_000;

/** An iptables-restore input of about 2 MB: one chain with a tagged rule per peer. */
function bigRuleset(): string {
  const lines = ['*filter', ':PIC-BIG - [0:0]'];
  for (let i = 0; i < PEERS; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    lines.push(`-A PIC-BIG -s ${ip}/32 -m comment --comment pic-peer-${ip.replaceAll('.', '-')} -j ACCEPT`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

// Traps USR1 like CoreDNS's reload, and leaves a mark the test can read.
const SIGNAL_CATCHER = ['sh', '-c', 'trap "echo got > /tmp/sig" USR1; while true; do sleep 0.2; done'];

describe('docker targets', () => {
  const prerequisites = requirePrerequisites(['root', 'dockerd', 'docker', 'busybox', 'iptables', 'ip']);
  let wireguard = '';
  let dns = '';
  let stopped = '';

  beforeAll(async () => {
    if (!prerequisites.ok) return;
    await ensureDockerDaemon();
    const image = await buildTestImage();
    [wireguard, dns, stopped] = await Promise.all([
      startTestContainer({ role: 'wireguard', image }),
      startTestContainer({ role: 'dns', image, cmd: SIGNAL_CATCHER }),
      startTestContainer({ role: 'stopped', image }),
    ]);
    await stopTestContainer(stopped);
  });

  afterAll(async () => {
    await removeTestContainers();
  });

  it('feeds 2 MB of iptables-restore input through stdin and reads 2 MB back', async () => {
    const target = createDockerTarget(wireguard);
    const input = bigRuleset();
    expect(input.length).toBeGreaterThan(1_500_000);
    const restore = await target.exec(['iptables-restore', '--noflush', '-w', '5'], {
      stdin: input,
      timeoutMs: 30_000,
    });
    expect(restore).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    const saved = await target.exec(['iptables-save', '-t', 'filter'], { timeoutMs: 30_000 });
    expect(saved.exitCode).toBe(0);
    const rules = saved.stdout.split('\n').filter((line) => line.startsWith('-A PIC-BIG '));
    expect(rules).toHaveLength(PEERS);
    expect(rules.at(-1)).toBe('-A PIC-BIG -s 10.0.78.31/32 -m comment --comment pic-peer-10-0-78-31 -j ACCEPT');
  });

  it('keeps stdout and stderr apart and returns the exit code', async () => {
    const target = createDockerTarget(wireguard);
    const echoed = await target.exec(['sh', '-c', 'cat; echo oops >&2; exit 4'], { stdin: 'line one\nline two\n' });
    expect(echoed).toEqual({ stdout: 'line one\nline two\n', stderr: 'oops\n', exitCode: 4 });
    expect((await target.exec(['sh', '-c', 'exit 127'])).exitCode).toBe(127);
    // A command that ignores its input still finishes.
    expect((await target.exec(['true'], { stdin: 'x'.repeat(1024 * 1024) })).exitCode).toBe(0);
  });

  it('runs iptables with comments and ip -batch from stdin', async () => {
    const target = createDockerTarget(wireguard);
    const added = await target.exec([
      'iptables',
      '-A',
      'FORWARD',
      '-s',
      '10.0.0.9/32',
      '-m',
      'comment',
      '--comment',
      'pic-test',
      '-j',
      'DROP',
    ]);
    expect(added.exitCode).toBe(0);
    expect((await target.exec(['iptables', '-S', 'FORWARD'])).stdout).toContain(
      '-A FORWARD -s 10.0.0.9/32 -m comment --comment pic-test -j DROP',
    );
    const batch = await target.exec(['ip', '-batch', '-'], {
      stdin: 'addr add 10.99.0.21/16 dev eth0 label eth0:pic\n',
    });
    expect(batch.exitCode).toBe(0);
    const addresses = JSON.parse((await target.exec(['ip', '-j', 'addr', 'show', 'dev', 'eth0'])).stdout) as {
      addr_info: { local: string; label?: string }[];
    }[];
    expect(addresses[0]?.addr_info).toContainEqual(expect.objectContaining({ local: '10.99.0.21', label: 'eth0:pic' }));
  });

  it('says which program is missing, and which container is missing or stopped', async () => {
    await expect(createDockerTarget(wireguard).exec(['iptables-nope', '-S'])).rejects.toThrow(
      `docker:${wireguard}: iptables-nope -S: iptables-nope not found in container`,
    );
    // Nothing ran: a caller may safely try another way (apply without a shell), also when input was on its way.
    await expect(createDockerTarget(wireguard).exec(['iptables-nope', '-S'])).rejects.toBeInstanceOf(
      ProgramNotFoundError,
    );
    await expect(
      createDockerTarget(wireguard).exec(['iptables-nope'], { stdin: 'x'.repeat(4_000_000) }),
    ).rejects.toBeInstanceOf(ProgramNotFoundError);
    // A command that ends without reading its input: its own exit code, not the broken pipe.
    expect(
      (await createDockerTarget(wireguard).exec(['sh', '-c', 'exit 3'], { stdin: 'x'.repeat(4_000_000) })).exitCode,
    ).toBe(3);
    const missing = containerName('missing');
    await expect(createDockerTarget(missing).exec(['iptables-save'])).rejects.toThrow(
      `docker:${missing}: iptables-save: no such container`,
    );
    await expect(createDockerTarget(stopped).exec(['iptables-save'])).rejects.toThrow(
      `docker:${stopped}: iptables-save: container is not running`,
    );
  });

  it('gives up at the deadline', async () => {
    const started = Date.now();
    const error = await createDockerTarget(wireguard, { timeoutMs: 300 })
      .exec(['sleep', '5'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecError);
    expect((error as ExecError).message).toBe(`docker:${wireguard}: sleep 5: timed out after 300 ms`);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('finds the api address by inspect, and null for a missing or stopped container', async () => {
    const inside = JSON.parse(
      (await createDockerTarget(wireguard).exec(['ip', '-j', '-4', 'addr', 'show', 'dev', 'eth0', 'scope', 'global']))
        .stdout,
    ) as {
      addr_info: { local: string }[];
    }[];
    const expected = inside[0]?.addr_info[0]?.local;
    expect(expected).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await dockerContainerAddress(wireguard)).toBe(expected);
    expect(await createApiAddressSource(expectOk(parseLocator(`docker:${wireguard}`, 'api'))).address(null)).toBe(
      expected,
    );
    expect(await dockerContainerAddress(containerName('missing'))).toBeNull();
    expect(await dockerContainerAddress(stopped)).toBeNull();
  });

  it('delivers SIGUSR1 to the dns container', async () => {
    const reloader = createDnsReloader(expectOk(parseLocator(`docker:${dns}`, 'dns')));
    const target = createDockerTarget(dns);
    expect((await target.exec(['cat', '/tmp/sig'])).exitCode).not.toBe(0);
    await reloader.reload();
    let mark = '';
    for (let i = 0; i < 50 && mark !== 'got\n'; i++) {
      mark = (await target.exec(['cat', '/tmp/sig'])).stdout;
      if (mark !== 'got\n') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(mark).toBe('got\n');
    await expect(
      createDnsReloader(expectOk(parseLocator(`docker:${containerName('missing')}`, 'dns'))).reload(),
    ).rejects.toThrow('no such container');
  });

  it('counts execs through the wrapper', async () => {
    const counting = createRecordingTarget(openTarget(expectOk(parseLocator(`docker:${wireguard}`, 'wireguard'))));
    await Promise.all([
      counting.exec(['true']),
      counting.exec(['iptables-save', '-t', 'nat']),
      counting.exec(['ip', '-j', 'rule']),
    ]);
    expect(counting.records.length).toBe(3);
    expect(counting.locator).toBe(`docker:${wireguard}`);
  });
});
