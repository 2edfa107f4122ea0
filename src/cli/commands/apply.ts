import { randomUUID } from 'node:crypto';
import { layoutOf } from '../../config/controller-config.js';
import { loadState } from '../../load/load-state.js';
import { refuseFailingTests } from '../refuse-failing-tests.js';
import { massDeleteGuard } from '../../pass/mass-delete-guard.js';
import { reconcileCell } from '../../pass/reconcile-cell.js';
import { formatPlanText, planToJson } from '../../plan/format-plan.js';
import type { CliValues } from '../cli-values.js';
import { printError, printIssues, readConfig, requireOption } from '../cli-common.js';
import { openCellTargets } from '../../targets/open-cell-targets.js';
import { openApplyWindow, type ApplyWindow, type WindowOutcome } from '../apply-window.js';
import { statusDirOf, takeCellForWriting } from '../cell-writer.js';
import { parseConfirmSeconds } from '../confirm-seconds.js';
import { planForStdout } from '../plan-colour.js';

/**
 * `apply`: one verified reconcile, held back by the mass-delete guard like the loop. Exit 0
 * converged, 1 error; with --confirm-within 0 confirmed, 3 rolled back (apply-window.ts).
 */
export async function runApply(values: CliValues): Promise<number> {
  const stateDir = requireOption(values.state, '--state');
  if (stateDir === null) return 1;
  const confirm = parseConfirmSeconds(values['confirm-within'], values['dry-run']);
  if (!confirm.ok) {
    printError(confirm.error);
    return 1;
  }
  const config = await readConfig(values, { announce: true });
  if (config === null) return 1;
  const loaded = await loadState(stateDir);
  printIssues(stateDir, loaded.issues);
  if (loaded.issues.length > 0 || loaded.state === null) {
    printError('state is invalid; nothing applied');
    return 1;
  }
  if (refuseFailingTests(stateDir, loaded, layoutOf(config))) return 1;
  const targets = openCellTargets(config);
  if (!values['dry-run'] && !(await takeCellForWriting(config, stateDir, targets, layoutOf(config)))) return 1;
  const window: ApplyWindow | null =
    confirm.seconds === null
      ? null
      : await openApplyWindow(
          values,
          stateDir,
          statusDirOf(config, stateDir),
          targets,
          layoutOf(config),
          loaded.state.cell.peer_subnet,
          confirm.seconds,
        );
  const id = randomUUID().slice(0, 8);
  const result = await reconcileCell(loaded.state, targets, layoutOf(config), {
    dryRun: values['dry-run'],
    ...(values['allow-mass-delete']
      ? {}
      : { guard: (plan, observed) => massDeleteGuard(plan, observed, config.max_delete_share) }),
  }).catch(async (error: unknown) => {
    // A window is open: whatever the apply got to is rolled back before the error ends the command.
    await window?.close(false);
    throw error;
  });
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
