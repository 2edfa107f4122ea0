/**
 * The built CLI prints no raw control, bidi or zero-width character that it did not write:
 * an argument echoed in an error, and a status screen whose every string came from a
 * (hostile) server.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIAL_STATUS, type ControllerStatus } from '../../src/status/controller-status.js';
import { builtEntry } from '../helpers/build-dist.js';

const execFileAsync = promisify(execFile);
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
const EVIL = '\u001b[2J\u001b]0;pwned\u0007\u202eevil\u200b';

async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [builtEntry('cli/main.js'), ...args], {
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    };
  }
}

describe('CLI output escapes text it did not write', () => {
  let server: Server;
  let listen = '';
  const hostile: ControllerStatus = {
    ...INITIAL_STATUS,
    conditions: INITIAL_STATUS.conditions.map((c) => ({ ...c, message: `${c.message} ${EVIL}` })),
    fileErrors: [{ file: `peers/${EVIL}.json`, pointer: '/ip', message: EVIL }],
    heldBack: [{ file: `peers/${EVIL}.json`, reason: 'unattributed', resources: [EVIL] }],
    lastGoodError: EVIL,
    lastReconcile: {
      id: EVIL,
      triggers: [EVIL],
      startedAt: EVIL,
      durationMs: 1,
      converged: false,
      result: 'not_converged',
      actions: { [EVIL]: 1 },
      errors: [`iptables-restore: ${EVIL}`],
    },
  };

  beforeAll(async () => {
    server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(hostile)),
    );
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    listen = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('status: every line from the server is escaped', async () => {
    const result = await cli(['status', '--listen', listen]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('\\u001b[2J\\u001b]0;pwned\\u0007\\u202eevil\\u200b');
    expect(result.stdout).toMatch(/^held back {8}peers\/.*\.json \(unattributed\)/m);
    expect(RAW.test(result.stdout)).toBe(false);
  });

  it('an argument echoed in an error is escaped', async () => {
    const result = await cli(['plan', '--state', 'state', '--from', `/nonexistent/${EVIL}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--from-dump /nonexistent/\\u001b[2J');
    expect(RAW.test(result.stderr)).toBe(false);
  });
});
