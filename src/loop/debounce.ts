/**
 * Trailing debounce with a ceiling: fires `quietMs` after the last call, but no later than
 * `maxWaitMs` after the first call of a burst, so a long stream of writes still converges.
 */
export function debounce(fn: () => void, quietMs: number, maxWaitMs: number): { call(): void; cancel(): void } {
  let timer: NodeJS.Timeout | null = null;
  let burstStart = 0;
  const fire = (): void => {
    timer = null;
    fn();
  };
  return {
    call() {
      const now = Date.now();
      if (timer === null) burstStart = now;
      else clearTimeout(timer);
      timer = setTimeout(fire, Math.max(0, Math.min(quietMs, burstStart + maxWaitMs - now)));
    },
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
