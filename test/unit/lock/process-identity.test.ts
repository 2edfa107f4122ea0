import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { liveness, ownIdentity } from '../../../src/lock/process-identity.js';

/** A record names a process by pid, start time, boot and pid namespace: a reused pid is never taken for it. */
describe('process identity', () => {
  it('is alive for this process', () => {
    expect(liveness(ownIdentity())).toBe('alive');
  });

  it('is gone for a live pid whose start time differs (the pid was reused)', () => {
    expect(liveness({ ...ownIdentity(), start: '1' })).toBe('gone');
  });

  it('is gone for another boot, even when the pid runs now', () => {
    expect(liveness({ ...ownIdentity(), boot: '00000000-0000-0000-0000-000000000000' })).toBe('gone');
  });

  it('is unknown (treated as alive) for another pid namespace: its pids are not ours to read', () => {
    expect(liveness({ ...ownIdentity(), pidNamespace: 'pid:[1]' })).toBe('unknown');
  });

  it('is gone once the process has exited', async () => {
    const child = spawn('sleep', ['30']);
    const pid = child.pid ?? 0;
    // The child's own start time, read the way a holder records it.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
    const identity = { ...ownIdentity(), pid, start };
    expect(liveness(identity)).toBe('alive');
    child.kill('SIGKILL');
    await new Promise((done) => child.once('exit', done));
    expect(liveness(identity)).toBe('gone');
  });
});
