/**
 * The closed sets of labels a reconcile pass reports, as data: metrics start every counter at
 * zero from these lists, and the types come from the same lists, so the two cannot drift apart.
 */

/** How a pass ended. */
export const PASS_RESULTS = ['converged', 'degraded', 'not_converged', 'refused', 'invalid_state', 'error'] as const;
export type PassResult = (typeof PASS_RESULTS)[number];

/**
 * A pass result as the user reads it (status, demo, apply): the words of the log and the page,
 * so a pass that held a broken file back says `degraded` everywhere, never `NOT converged`.
 */
export function passWords(result: PassResult): string {
  return result.replace('_', ' ');
}

/** What asked for a pass, as a metrics label (the first word of a trigger reason). */
export const TRIGGER_KINDS = ['startup', 'state', 'docker', 'corefile', 'resync', 'retry'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];
