import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecError, ProgramNotFoundError } from '../../src/model/target.js';
import { createRecordingTarget } from '../../src/testbed/recording-target.js';
import { createLocalTarget } from '../../src/targets/local-target.js';
import { createNetnsTarget } from '../../src/targets/netns-target.js';
import { parseLocator } from '../../src/model/locator.js';
import { createApiAddressSource } from '../../src/targets/api-address.js';
import { createDnsReloader } from '../../src/targets/dns-reloader.js';
import { openTarget } from '../../src/targets/open-cell-targets.js';
import {
  NAMESPACE_PREFIX,
  addRoute,
  cleanupNamespaces,
  connectVeth,
  createNamespace,
  enableForwarding,
  nsRunOk,
  probe,
  startListener,
} from '../../src/testbed/netns.js';
import { expectOk } from '../helpers/expect-ok.js';
import { listOwnNamespaces } from '../helpers/own-namespaces.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';

const SMALL_RULESET = [
  '*filter',
  ':PIC-TEST - [0:0]',
  '-A PIC-TEST -s 10.0.0.2/32 -m comment --comment pic-peer-10-0-0-2/32 -j ACCEPT',
  '-A PIC-TEST -j DROP',
  'COMMIT',
  '',
].join('\n');

/** Whether a pid still names a live (not yet reaped) process. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, ms = 2_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !alive(pid);
}

describe('target locators', () => {
  it('rejects unknown kinds with the role and the accepted spellings', () => {
    expect(parseLocator('foo:bar', 'wireguard')).toEqual({
      ok: false,
      error: 'unknown target locator "foo:bar" for wireguard; expected docker:NAME, netns:NAME or local',
    });
    expect(parseLocator('ip:10.0.0.1', 'caddy')).toMatchObject({
      ok: false,
      error: expect.stringContaining('for caddy'),
    });
    expect(parseLocator('none', 'api')).toMatchObject({
      ok: false,
      error: 'unknown target locator "none" for api; expected docker:NAME, netns:NAME, local or ip:ADDR',
    });
    expect(parseLocator('local:x', 'dns')).toMatchObject({
      ok: false,
      error: 'unknown target locator "local:x" for dns; expected docker:NAME, netns:NAME, local or none',
    });
    expect(parseLocator('docker', 'wireguard').ok).toBe(false);
  });

  it('rejects bad names and addresses in one line', () => {
    for (const text of ['docker:', 'docker:a b', 'netns:../etc', 'docker:-x', 'netns:a;reboot']) {
      const parsed = parseLocator(text, 'wireguard');
      expect(parsed).toMatchObject({
        ok: false,
        error: expect.stringMatching(/^bad name in target locator .* for wireguard; NAME must match/),
      });
    }
    expect(parseLocator('ip:10.0.0.256', 'api')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^bad address/),
    });
    expect(parseLocator('ip:010.0.0.1', 'api').ok).toBe(false);
  });

  it("accepts each role's kinds", () => {
    expect(parseLocator('docker:cell-wireguard', 'wireguard')).toEqual({
      ok: true,
      value: { kind: 'docker', name: 'cell-wireguard' },
    });
    expect(parseLocator('netns:pict-1-2', 'caddy')).toEqual({ ok: true, value: { kind: 'netns', name: 'pict-1-2' } });
    expect(parseLocator('local', 'caddy')).toEqual({ ok: true, value: { kind: 'local' } });
    expect(parseLocator('ip:172.20.0.10', 'api')).toEqual({ ok: true, value: { kind: 'ip', address: '172.20.0.10' } });
    expect(parseLocator('none', 'dns')).toEqual({ ok: true, value: { kind: 'none' } });
    expect(openTarget(expectOk(parseLocator('docker:cell-caddy', 'caddy')))).toMatchObject({
      locator: 'docker:cell-caddy',
    });
  });

  it('accepts exactly the names of the documented alphabet', () => {
    const nameChar = fc.constantFrom(...'abcXYZ019_.-'.split(''));
    const good = fc
      .tuple(fc.constantFrom('a', 'Z', '7'), fc.array(nameChar, { maxLength: 20 }))
      .map(([head, tail]) => head + tail.join(''));
    fc.assert(
      fc.property(good, (name) => {
        const parsed = parseLocator(`netns:${name}`, 'wireguard');
        return parsed.ok && parsed.value.kind === 'netns' && parsed.value.name === name;
      }),
      { seed: 42, numRuns: 200 },
    );
    const bad = fc.tuple(good, fc.constantFrom(' ', ';', '/', '$', '\n', ':', '"'), good).map(([a, c, b]) => a + c + b);
    fc.assert(
      fc.property(bad, (name) => !parseLocator(`docker:${name}`, 'wireguard').ok),
      { seed: 42, numRuns: 200 },
    );
  });

  it('resolves a fixed api address and no-op dns reloaders', async () => {
    expect(await createApiAddressSource(expectOk(parseLocator('ip:172.20.0.10', 'api'))).address(null)).toBe(
      '172.20.0.10',
    );
    for (const text of ['none', 'netns:whatever', 'local']) {
      await expect(createDnsReloader(expectOk(parseLocator(text, 'dns'))).reload()).resolves.toBeUndefined();
    }
  });
});

describe('local target', () => {
  const local = createLocalTarget();

  it('returns stdout, stderr and the exit code', async () => {
    const result = await local.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(result).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
  });

  it('passes large stdin through and closes it', async () => {
    const input = 'x'.repeat(2 * 1024 * 1024);
    const result = await local.exec(['wc', '-c'], { stdin: input });
    expect(result.stdout.trim()).toBe(String(input.length));
    // A command that never reads its input still finishes.
    expect((await local.exec(['true'], { stdin: input })).exitCode).toBe(0);
  });

  it('kills the command by its pid when the deadline passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pict-'));
    const pidFile = join(dir, 'pid');
    const started = Date.now();
    const error = await local
      .exec(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`], { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecError);
    expect((error as ExecError).message).toMatch(/^local: sh -c .*: timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await waitUntilGone(pid)).toBe(true);
  });

  it('uses the target-wide default deadline', async () => {
    const quick = createLocalTarget({ timeoutMs: 150 });
    await expect(quick.exec(['sleep', '5'])).rejects.toThrow('timed out after 150 ms');
  });

  it('reports a missing program as an ExecError', async () => {
    await expect(local.exec(['pict-no-such-program'])).rejects.toThrow(
      /^local: pict-no-such-program: pict-no-such-program not found/,
    );
    await expect(local.exec(['pict-no-such-program'])).rejects.toBeInstanceOf(ProgramNotFoundError);
  });

  it('counts exec calls, failed ones included', async () => {
    const counting = createRecordingTarget(local);
    await counting.exec(['true']);
    await counting.exec(['false']);
    await counting.exec(['pict-no-such-program']).catch(() => undefined);
    expect(counting.records.length).toBe(3);
    expect(counting.locator).toBe('local');
    counting.take();
    expect(counting.records.length).toBe(0);
  });
});

describe('netns target', () => {
  const prerequisites = requirePrerequisites(['root', 'ip', 'iptables']);
  let ns = '';
  let peer = '';

  beforeAll(async () => {
    if (!prerequisites.ok) return;
    ns = await createNamespace();
    peer = await createNamespace();
    await connectVeth({ ns, dev: 'eth0', cidr: '10.231.0.1/24' }, { ns: peer, dev: 'eth0', cidr: '10.231.0.2/24' });
  });

  afterAll(async () => {
    await cleanupNamespaces();
  });

  it('applies iptables-restore input from stdin inside the namespace only', async () => {
    const target = createNetnsTarget(ns);
    const restore = await target.exec(['iptables-restore', '--noflush', '-w', '5'], { stdin: SMALL_RULESET });
    expect(restore).toMatchObject({ exitCode: 0, stderr: '' });
    const saved = await target.exec(['iptables-save', '-t', 'filter']);
    expect(saved.stdout).toContain(':PIC-TEST - [0:0]');
    // iptables-save quotes a comment that holds a slash.
    expect(saved.stdout).toContain('-A PIC-TEST -s 10.0.0.2/32 -m comment --comment "pic-peer-10-0-0-2/32" -j ACCEPT');
    // The peer namespace, like the host, never sees it.
    const elsewhere = await createNetnsTarget(peer).exec(['iptables-save', '-t', 'filter']);
    expect(elsewhere.stdout).not.toContain('PIC-TEST');
  });

  it('returns exit codes and output as they are', async () => {
    const result = await createNetnsTarget(ns).exec(['sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(result).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 7 });
    const failed = await createNetnsTarget(ns).exec(['iptables', '-t', 'filter', '-D', 'PIC-NOPE', '1']);
    expect(failed.exitCode).not.toBe(0);
  });

  it('kills the command by its pid when the deadline passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pict-'));
    const pidFile = join(dir, 'pid');
    const target = createNetnsTarget(ns, { timeoutMs: 300 });
    await expect(target.exec(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`])).rejects.toThrow(
      'timed out after 300 ms',
    );
    expect(await waitUntilGone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  it('names a missing namespace and a missing program', async () => {
    const missing = createNetnsTarget(`${NAMESPACE_PREFIX}missing`);
    await expect(missing.exec(['iptables-save'])).rejects.toThrow(
      `netns:${NAMESPACE_PREFIX}missing: iptables-save: no such network namespace`,
    );
    await expect(createNetnsTarget(ns).exec(['pict-no-such-program'])).rejects.toThrow(
      `pict-no-such-program not found in netns:${ns}`,
    );
    await expect(createNetnsTarget(ns).exec(['pict-no-such-program'])).rejects.toBeInstanceOf(ProgramNotFoundError);
  });

  it('finds the api address on eth0 of a namespace', async () => {
    expect(await createApiAddressSource(expectOk(parseLocator(`netns:${peer}`, 'api'))).address(null)).toBe(
      '10.231.0.2',
    );
    expect(
      await createApiAddressSource(expectOk(parseLocator(`netns:${peer}`, 'api')), { interface: 'pictnone0' }).address(
        null,
      ),
    ).toBeNull();
    const noNamespace = createApiAddressSource(expectOk(parseLocator(`netns:${NAMESPACE_PREFIX}missing`, 'api')));
    await expect(noNamespace.address(null)).rejects.toThrow('no such network namespace');
  });

  it('probes tell connected, refused and dropped apart, and who answered', async () => {
    const listener = await startListener(peer, [{ ip: '10.231.0.2', port: 8080 }], 'peer-web');
    const open = await probe(ns, [
      { ip: '10.231.0.2', port: 8080 },
      { ip: '10.231.0.2', port: 8081 },
    ]);
    expect(open).toEqual([
      { outcome: 'connected', answeredBy: 'peer-web' },
      { outcome: 'refused', answeredBy: null },
    ]);
    await nsRunOk(peer, ['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '8080', '-j', 'DROP']);
    const started = Date.now();
    expect(await probe(ns, [{ ip: '10.231.0.2', port: 8080 }], 400)).toEqual([
      { outcome: 'timeout', answeredBy: null },
    ]);
    expect(Date.now() - started).toBeLessThan(3_000);
    listener.stop();
    expect(await waitUntilGone(listener.pid)).toBe(true);
  });

  it('routes between namespaces through a forwarding namespace, leaving the host sysctl alone', async () => {
    const hostForwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const [client, router, server] = await Promise.all([createNamespace(), createNamespace(), createNamespace()]);
    await connectVeth(
      { ns: client, dev: 'eth0', cidr: '10.231.2.2/24' },
      { ns: router, dev: 'lan0', cidr: '10.231.2.1/24' },
    );
    await connectVeth(
      { ns: server, dev: 'eth0', cidr: '10.231.3.2/24' },
      { ns: router, dev: 'wan0', cidr: '10.231.3.1/24' },
    );
    await addRoute(client, ['default', 'via', '10.231.2.1']);
    await addRoute(server, ['default', 'via', '10.231.3.1']);
    await startListener(server, [{ ip: '10.231.3.2', port: 443 }], 'server');
    expect(await probe(client, [{ ip: '10.231.3.2', port: 443 }], 400)).toEqual([
      { outcome: 'timeout', answeredBy: null },
    ]);
    await enableForwarding(router);
    expect(await probe(client, [{ ip: '10.231.3.2', port: 443 }])).toEqual([
      { outcome: 'connected', answeredBy: 'server' },
    ]);
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(hostForwarding);
  });

  it('leaves no namespace and no listener behind', async () => {
    const extra = await createNamespace();
    await connectVeth({ ns: extra, dev: 'eth0', cidr: '10.231.1.1/24' }, { ns, dev: 'eth1', cidr: '10.231.1.2/24' });
    const listener = await startListener(extra, [{ ip: '10.231.1.1', port: 9000 }]);
    expect(await listOwnNamespaces()).toEqual(expect.arrayContaining([ns, peer, extra]));
    await cleanupNamespaces();
    expect(await listOwnNamespaces()).toEqual([]);
    expect(await waitUntilGone(listener.pid)).toBe(true);
  });
});
