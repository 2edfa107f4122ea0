import { describe, expect, it } from 'vitest';
import { backoffDelay, ReconcileRunner, type PassOutcome } from '../../../src/loop/reconcile-runner.js';
import { FakeClock, settle } from './fake-clock.js';

interface Pass {
  readonly triggers: readonly string[];
  readonly startedAt: number;
  finish(outcome: PassOutcome): void;
}

/** A runner whose passes stay open until the test finishes them. */
function harness(options: { minIntervalMs?: number; backoffBaseMs?: number; backoffMaxMs?: number } = {}) {
  const clock = new FakeClock();
  const passes: Pass[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const runner = new ReconcileRunner(
    (triggers) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<PassOutcome>((resolve) => {
        passes.push({
          triggers,
          startedAt: clock.now(),
          finish: (outcome) => {
            inFlight--;
            resolve(outcome);
          },
        });
      });
    },
    {
      minIntervalMs: options.minIntervalMs ?? 100,
      backoffBaseMs: options.backoffBaseMs ?? 500,
      backoffMaxMs: options.backoffMaxMs ?? 8_000,
      clock,
    },
  );
  const last = (): Pass => {
    const pass = passes.at(-1);
    if (pass === undefined) throw new Error('no pass has started');
    return pass;
  };
  return { clock, runner, passes, last, maxInFlight: () => maxInFlight };
}

describe('reconcile runner', () => {
  it('coalesces a burst of triggers into one pass that names them all', async () => {
    const { clock, runner, passes } = harness();
    for (let i = 0; i < 50; i++) runner.trigger(i % 2 === 0 ? 'state' : 'docker-start:cell-wireguard');
    await clock.advance(0);
    expect(passes).toHaveLength(1);
    expect(passes[0]?.triggers).toEqual(['state', 'docker-start:cell-wireguard']);
  });

  it('runs one pass at a time; triggers during a pass give exactly one more pass', async () => {
    const h = harness();
    h.runner.trigger('startup');
    await h.clock.advance(0);
    for (let i = 0; i < 20; i++) h.runner.trigger('state');
    h.runner.trigger('resync');
    await h.clock.advance(10_000);
    expect(h.passes).toHaveLength(1);
    h.last().finish('success');
    await h.clock.advance(10_000);
    expect(h.passes).toHaveLength(2);
    expect(h.passes[1]?.triggers).toEqual(['state', 'resync']);
    h.last().finish('success');
    await h.clock.advance(10_000);
    expect(h.passes).toHaveLength(2);
    expect(h.maxInFlight()).toBe(1);
  });

  it('keeps the minimum interval between the starts of two passes', async () => {
    const h = harness({ minIntervalMs: 300 });
    h.runner.trigger('startup');
    await h.clock.advance(0);
    await h.clock.advance(10);
    h.last().finish('success');
    h.runner.trigger('state');
    await h.clock.advance(289);
    expect(h.passes).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.passes).toHaveLength(2);
    expect(h.passes[1]?.startedAt).toBe(300);
    // A trigger long after the last pass runs at once.
    h.last().finish('success');
    await h.clock.advance(5_000);
    h.runner.trigger('state');
    await h.clock.advance(0);
    expect(h.passes[2]?.startedAt).toBe(5_300);
  });

  it('honours a trigger delay, and an earlier trigger pulls the pass forward', async () => {
    const h = harness({ minIntervalMs: 0 });
    h.runner.trigger('corefile', 200);
    await h.clock.advance(150);
    expect(h.passes).toHaveLength(0);
    h.runner.trigger('state');
    await h.clock.advance(0);
    expect(h.passes).toHaveLength(1);
    expect(h.passes[0]?.startedAt).toBe(150);
    expect(h.passes[0]?.triggers).toEqual(['corefile', 'state']);
  });

  it('retries a failure with exponential backoff, capped, and resets on success', async () => {
    const h = harness({ minIntervalMs: 0, backoffBaseMs: 500, backoffMaxMs: 4_000 });
    h.clock.draw = 0.999_999;
    h.runner.trigger('startup');
    await h.clock.advance(0);
    const gaps: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = h.passes.length;
      const endedAt = h.clock.now();
      h.last().finish('failure');
      await h.clock.advance(0);
      const due = h.clock.nextDue();
      expect(due).not.toBeNull();
      await h.clock.advance((due ?? 0) - h.clock.now());
      expect(h.passes).toHaveLength(before + 1);
      expect(h.last().triggers).toEqual(['retry']);
      gaps.push(h.last().startedAt - endedAt);
    }
    expect(gaps).toEqual([500, 1_000, 2_000, 4_000, 4_000, 4_000]);
    expect(h.runner.consecutiveFailures).toBe(6);
    h.last().finish('success');
    await h.clock.advance(0);
    expect(h.runner.consecutiveFailures).toBe(0);
    expect(h.clock.nextDue()).toBeNull();
    // After the reset, the next failure starts again at the base delay.
    h.runner.trigger('state');
    await h.clock.advance(0);
    const endedAt = h.clock.now();
    h.last().finish('failure');
    await h.clock.advance(10_000);
    expect(h.passes.at(-1)?.startedAt).toBe(endedAt + 500);
  });

  it('does not retry a terminal outcome, and a rejected pass counts as a failure', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const runner = new ReconcileRunner(
      () => {
        calls++;
        return calls === 1 ? Promise.reject(new Error('boom')) : Promise.resolve<PassOutcome>('terminal');
      },
      { minIntervalMs: 0, backoffBaseMs: 100, backoffMaxMs: 1_000, clock },
    );
    runner.trigger('startup');
    await clock.advance(0);
    expect(runner.consecutiveFailures).toBe(1);
    await clock.advance(1_000);
    expect(calls).toBe(2);
    expect(runner.consecutiveFailures).toBe(0);
    await clock.advance(60_000);
    expect(calls).toBe(2);
  });

  it('lets a new trigger bypass the backoff (a restarted container is repaired at once)', async () => {
    const h = harness({ minIntervalMs: 100, backoffBaseMs: 10_000, backoffMaxMs: 60_000 });
    h.runner.trigger('docker-die:cell-wireguard');
    await h.clock.advance(0);
    h.last().finish('failure');
    await h.clock.advance(1_000);
    expect(h.passes).toHaveLength(1);
    h.runner.trigger('docker-start:cell-wireguard');
    await h.clock.advance(0);
    expect(h.passes).toHaveLength(2);
    expect(h.passes[1]?.triggers).toEqual(['retry', 'docker-start:cell-wireguard']);
    // A trigger during the failed pass is new work too: no backoff, only the minimum interval.
    h.runner.trigger('state');
    h.last().finish('failure');
    await h.clock.advance(0);
    await h.clock.advance(100);
    expect(h.passes).toHaveLength(3);
    expect(h.passes[2]?.startedAt).toBe(1_100);
  });

  it('stop() waits for the pass in flight and schedules nothing after it', async () => {
    const h = harness();
    h.runner.trigger('startup');
    await h.clock.advance(0);
    h.runner.trigger('state');
    let stopped = false;
    const stopping = h.runner.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    h.last().finish('failure');
    await stopping;
    expect(stopped).toBe(true);
    h.runner.trigger('state');
    await h.clock.advance(60_000);
    expect(h.passes).toHaveLength(1);
    expect(h.clock.nextDue()).toBeNull();
  });
});

describe('backoff delay', () => {
  it('stays within [ceiling/2, ceiling] of the capped exponential', () => {
    const options = { backoffBaseMs: 500, backoffMaxMs: 30_000 };
    for (let failures = 1; failures <= 12; failures++) {
      const ceiling = Math.min(30_000, 500 * 2 ** (failures - 1));
      for (const draw of [0, 0.25, 0.5, 0.75, 0.999_999]) {
        const delay = backoffDelay(failures, draw, options);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
      expect(backoffDelay(failures, 0, options)).toBe(ceiling / 2);
    }
    expect(backoffDelay(0, 0.5, options)).toBe(0);
  });
});
