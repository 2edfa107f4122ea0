import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { guardSignals } from '../../../src/rollback/signal-guard.js';

describe('guardSignals', () => {
  it('remembers SIGTERM that came before anyone listened, and tells a later listener at once', () => {
    const signals = new EventEmitter();
    const guard = guardSignals(signals, () => undefined);
    signals.emit('SIGTERM');
    expect(guard.terminated).toBe(true);
    const told: string[] = [];
    guard.onTerminate(() => told.push('late'));
    expect(told).toEqual(['late']);
  });

  it('tells each listener once for SIGINT; SIGHUP is only noted; release detaches every handler', () => {
    const signals = new EventEmitter();
    const notes: string[] = [];
    const guard = guardSignals(signals, (m) => notes.push(m));
    const told: string[] = [];
    guard.onTerminate(() => told.push('a'));
    signals.emit('SIGHUP');
    expect(guard.terminated).toBe(false);
    expect(notes).toEqual([expect.stringContaining('SIGHUP: the terminal is gone')]);
    signals.emit('SIGINT');
    signals.emit('SIGTERM');
    expect(told).toEqual(['a']);
    guard.release();
    for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP']) expect(signals.listenerCount(name)).toBe(0);
  });
});
