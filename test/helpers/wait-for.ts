/** Polls `check` every 25 ms until it returns something other than null or false; fails after timeoutMs naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | false> | T | null | false,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
