/**
 * The dockerd a test run starts is stopped by the run: test files starting at once start one
 * daemon, and the teardown stops exactly that one by PID. Tried on a private daemon (its own
 * socket, data root, exec root and pid file, no bridge, no iptables), never the machine's own.
 * It runs in a network namespace of its own: with --bridge=none, dockerd deletes any link named
 * docker0 in its namespace, which on the host is the machine's dockerd's bridge.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupNamespaces, createNamespace } from '../../src/testbed/netns.js';
import { ensureSuiteDaemon, stopSuiteDaemon, type DaemonSpec } from '../helpers/suite-daemon.js';
import { failOrSkip, requirePrerequisites } from '../helpers/prerequisites.js';

const ready =
  spawnSync('dockerd', ['--version']).status === 0
    ? requirePrerequisites(['root', 'ip'])
    : failOrSkip('dockerd (the binary) is not on PATH');

function pings(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get({ socketPath, path: '/_ping', timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('error', () => resolve(false));
    request.on('timeout', () => {
      request.destroy();
      resolve(false);
    });
  });
}

/** PIDs of the live processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker) &&
          !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('the dockerd a run starts', () => {
  let dir: string;
  let runDir: string;
  let spec: DaemonSpec;

  beforeAll(async () => {
    if (!ready.ok) return;
    dir = await mkdtemp(join(tmpdir(), `pict-${process.pid}-dockerd-`));
    runDir = await mkdtemp(join(tmpdir(), `pict-${process.pid}-run-`));
    await writeFile(join(dir, 'daemon.json'), '{}');
    const socket = join(dir, 'docker.sock');
    const namespace = await createNamespace();
    spec = {
      argv: [
        'nsenter',
        `--net=/run/netns/${namespace}`,
        'dockerd',
        `--host=unix://${socket}`,
        `--data-root=${dir}/root`,
        `--exec-root=${dir}/exec`,
        `--pidfile=${dir}/pid`,
        `--config-file=${dir}/daemon.json`,
        '--iptables=false',
        '--ip6tables=false',
        '--ip-forward=false',
        '--ip-masq=false',
        '--bridge=none',
      ],
      answers: () => pings(socket),
    };
  });
  afterAll(async () => {
    if (runDir !== undefined) await stopSuiteDaemon(runDir);
    for (const path of [dir, runDir]) if (path !== undefined) await rm(path, { recursive: true, force: true });
    await cleanupNamespaces();
  });

  it('three files starting at once start one daemon; the teardown stops exactly it', async () => {
    await Promise.all([
      ensureSuiteDaemon(runDir, spec),
      ensureSuiteDaemon(runDir, spec),
      ensureSuiteDaemon(runDir, spec),
    ]);
    expect(await spec.answers()).toBe(true);
    const running = processesWith(`--data-root=${dir}/root`);
    expect(running).toHaveLength(1);
    expect((await readFile(join(runDir, 'dockerd.pid'), 'utf8')).split(' ')[0]).toBe(String(running[0]));

    // A file that starts after it uses the same daemon.
    await ensureSuiteDaemon(runDir, spec);
    expect(processesWith(`--data-root=${dir}/root`)).toEqual(running);

    expect(await stopSuiteDaemon(runDir)).toBe(running[0]);
    expect(processesWith(`--data-root=${dir}/root`)).toEqual([]);
    expect(await spec.answers()).toBe(false);
    // Stopped once: a second teardown finds nothing of ours.
    expect(await stopSuiteDaemon(runDir)).toBeNull();
  });
});
