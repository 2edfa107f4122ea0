/** Bounds of `apply --confirm-within`: long enough to open a second shell, short enough that a lost cell comes back soon. */
export const CONFIRM_MIN_SECONDS = 5;
export const CONFIRM_MAX_SECONDS = 3600;

export type ConfirmSeconds =
  { readonly ok: true; readonly seconds: number | null } | { readonly ok: false; readonly error: string };

/** `--confirm-within` as given: null when absent; a whole number of seconds within the bounds; never with --dry-run. */
export function parseConfirmSeconds(value: string | undefined, dryRun: boolean): ConfirmSeconds {
  if (value === undefined) return { ok: true, seconds: null };
  if (dryRun)
    return {
      ok: false,
      error: '--confirm-within and --dry-run cannot go together: a dry run changes nothing to confirm',
    };
  if (!/^\d{1,7}$/.test(value))
    return {
      ok: false,
      error: `--confirm-within ${value}: expected whole seconds, ${CONFIRM_MIN_SECONDS} to ${CONFIRM_MAX_SECONDS}`,
    };
  const seconds = Number(value);
  if (seconds < CONFIRM_MIN_SECONDS || seconds > CONFIRM_MAX_SECONDS)
    return {
      ok: false,
      error: `--confirm-within ${value}: must be ${CONFIRM_MIN_SECONDS} to ${CONFIRM_MAX_SECONDS} seconds`,
    };
  return { ok: true, seconds };
}
