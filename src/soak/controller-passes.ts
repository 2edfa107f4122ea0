import type { Controller } from '../loop/controller.js';

/** Reconciles the controller has run, from its own pic_reconciles_total. */
export async function reconcileCount(controller: Controller): Promise<number> {
  const metric = await controller.metrics.reconciles.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

/**
 * Waits until a pass that started at or after `since` (ms since the epoch) has converged,
 * asking for passes as needed; false after `timeoutMs`.
 */
export async function waitConverged(controller: Controller, since: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const last = controller.status().lastReconcile;
    if (last !== null && last.converged && Date.parse(last.startedAt) >= since) return true;
    const next = controller.nextPass();
    controller.trigger('state');
    // The deadline timer is cleared once the pass comes, so the soak's own waits never look like leaked timers.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      next,
      new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
  }
  return false;
}
