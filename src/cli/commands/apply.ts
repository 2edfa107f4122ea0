import { randomUUID } from 'node:crypto';
import { layoutOf } from '../../config/controller-config.js';
import { loadState } from '../../load/load-state.js';
import { refuseFailingTests } from '../refuse-failing-tests.js';
import { formatIssue } from '../../load/state-issue.js';
import { massDeleteGuard } from '../../loop/mass-delete-guard.js';
import { reconcileCell } from '../../loop/reconcile-cell.js';
import { formatPlanText } from '../../plan/format-plan.js';
import type { CliValues } from '../main.js';
import { printError, readConfig, requireOption } from '../cli-common.js';
import { openCellTargets } from '../open-cell-targets.js';

/** `apply`: one verified reconcile, held back by the mass-delete guard like the loop. Exit 0 converged, 1 error. */
export async function runApply(values: CliValues): Promise<number> {
  const stateDir = requireOption(values.state, '--state');
  if (stateDir === null) return 1;
  const config = await readConfig(values);
  if (config === null) return 1;
  const loaded = await loadState(stateDir);
  for (const issue of loaded.issues) process.stderr.write(`${formatIssue(issue)}\n`);
  if (loaded.issues.length > 0 || loaded.state === null) {
    printError('state is invalid; nothing applied');
    return 1;
  }
  if (refuseFailingTests(loaded, layoutOf(config))) return 1;
  const id = randomUUID().slice(0, 8);
  const result = await reconcileCell(loaded.state, openCellTargets(config), layoutOf(config), {
    dryRun: values['dry-run'],
    ...(values['allow-mass-delete'] ? {} : { guard: (plan, observed) => massDeleteGuard(plan, observed, config.max_delete_share) }),
  });
  process.stdout.write(formatPlanText(result.plan));
  if (values['dry-run']) return result.errors.length === 0 ? 0 : 1;
  if (result.residual && result.residual.actions.length > 0) {
    process.stdout.write(`\nResidual plan after apply (not converged):\n${formatPlanText(result.residual)}`);
  }
  for (const error of result.errors) printError(error);
  // Zeros when nothing was applied, so "a second apply writes nothing" is visible in the output.
  const counts = result.apply?.counts ?? { restores: 0, ipBatches: 0, fileWrites: 0, signals: 0 };
  process.stdout.write(
    `reconcile ${id}: ${result.converged ? 'converged' : 'NOT converged'}` +
      ` (${counts.restores} restore, ${counts.ipBatches} ip batch, ${counts.fileWrites} file write, ${counts.signals} signal)\n`,
  );
  return result.converged ? 0 : 1;
}
