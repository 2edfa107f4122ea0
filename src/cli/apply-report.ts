import { randomUUID } from 'node:crypto';
import type { ReconcileResult } from '../pass/reconcile-cell.js';
import { formatPlanText, planToJson } from '../plan/format-plan.js';
import type { CliValues } from './cli-values.js';
import { printError } from './cli-common.js';
import type { ApplyWindow, WindowOutcome } from './apply-window.js';
import { planForStdout } from './plan-colour.js';

/**
 * What `apply` prints once the pass is done (with or without a plan file), and its exit code:
 * 0 converged, 1 error; with a confirm window 0 confirmed, 3 rolled back (apply-window.ts).
 */
export async function reportApply(
  values: CliValues,
  result: ReconcileResult,
  window: ApplyWindow | null,
): Promise<number> {
  const id = randomUUID().slice(0, 8);
  // Zeros when nothing was applied, so "a second apply writes nothing" is visible in the output.
  const counts = result.apply?.counts ?? { restores: 0, ipBatches: 0, fileWrites: 0, signals: 0 };
  const ok = values['dry-run'] ? result.errors.length === 0 : result.converged;
  if (values.json) {
    for (const error of result.errors) printError(error);
    const outcome: WindowOutcome | null = (await window?.close(result.converged)) ?? null;
    const residual = result.residual && result.residual.actions.length > 0 ? planToJson(result.residual) : null;
    const document = {
      reconcile: id,
      dryRun: values['dry-run'],
      converged: result.converged,
      plan: planToJson(result.plan),
      residual,
      counts,
      errors: result.errors,
    };
    const confirmWindow =
      outcome === null
        ? {}
        : { confirmWindow: { end: outcome.end, restored: outcome.restored, errors: outcome.errors } };
    process.stdout.write(`${JSON.stringify({ ...document, ...confirmWindow }, null, 2)}\n`);
    return outcome?.exitCode ?? (ok ? 0 : 1);
  }
  process.stdout.write(planForStdout(formatPlanText(result.plan)));
  if (!values['dry-run'] && result.residual && result.residual.actions.length > 0) {
    process.stdout.write(
      `\nResidual plan after apply (not converged):\n${planForStdout(formatPlanText(result.residual))}`,
    );
  }
  for (const error of result.errors) printError(error);
  if (values['dry-run']) return ok ? 0 : 1;
  process.stdout.write(
    `reconcile ${id}: ${result.converged ? 'converged' : 'not converged'}` +
      ` (${counts.restores} restore, ${counts.ipBatches} ip batch, ${counts.fileWrites} file write, ${counts.signals} signal)\n`,
  );
  return window === null ? (ok ? 0 : 1) : (await window.close(result.converged)).exitCode;
}
