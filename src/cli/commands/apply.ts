import { layoutOf } from '../../config/controller-config.js';
import type { LoadedState } from '../../load/loaded-state.js';
import { loadState } from '../../load/load-state.js';
import type { Observed } from '../../observe/observe-cell.js';
import { checkSavedPlan } from '../../pass/check-saved-plan.js';
import { massDeleteGuard } from '../../pass/mass-delete-guard.js';
import { reconcileCell } from '../../pass/reconcile-cell.js';
import { movedEntries, nameList, type PlanFile } from '../../plan/plan-file.js';
import type { CommandContext } from '../command-declaration.js';
import type { CliValues } from '../cli-values.js';
import { printError, printIssues, readConfig, requireOption } from '../cli-common.js';
import { refuseFailingTests } from '../refuse-failing-tests.js';
import { openCellTargets } from '../../targets/open-cell-targets.js';
import { openApplyWindow, type ApplyWindow } from '../apply-window.js';
import { reportApply } from '../apply-report.js';
import { statusDirOf, takeCellForWriting } from '../cell-writer.js';
import { parseConfirmSeconds } from '../confirm-seconds.js';
import { loadHashedState, planConfig, readPlanFile, sha256Hex } from '../saved-plan-io.js';

/**
 * `apply`: one verified reconcile, held back by the mass-delete guard like the loop. Exit 0
 * converged, 1 error; with --confirm-within 0 confirmed, 3 rolled back (apply-window.ts).
 *
 * `apply FILE` applies a plan saved by `plan --out`: the config's targets, the state files and the
 * live cell must be what it was made from (else one line naming what moved, exit 1, nothing
 * written), and the pass then runs from the observation that was checked.
 */
export async function runApply(values: CliValues, context: CommandContext): Promise<number> {
  const confirm = parseConfirmSeconds(values['confirm-within'], values['dry-run']);
  if (!confirm.ok) {
    printError(confirm.error);
    return 1;
  }
  const planPath = context.args[0];
  let saved: PlanFile | null = null;
  if (planPath !== undefined) {
    const read = await readPlanFile(planPath);
    if (!read.ok) {
      printError(read.error);
      return 1;
    }
    saved = read.file;
  }
  // A plan file knows its state folder; --state (or $PIC_STATE) names another copy of the same files.
  const stateDir = saved === null ? requireOption(values.state, '--state') : (values.state ?? saved.state.dir);
  if (stateDir === null) return 1;
  const config = await readConfig(values, { announce: true });
  if (config === null) return 1;
  const layout = layoutOf(config);
  let loaded: LoadedState;
  if (saved === null) loaded = await loadState(stateDir);
  else {
    const configMoved = movedEntries(saved.config, planConfig(config, layout));
    if (configMoved.length > 0) {
      printError(`config changed since the plan: ${nameList(configMoved)}; nothing applied`);
      return 1;
    }
    const hashed = await loadHashedState(stateDir);
    const moved = movedEntries(saved.state.files, hashed.files);
    if (moved.length > 0) {
      printError(`state changed since the plan: ${nameList(moved)}; nothing applied`);
      return 1;
    }
    loaded = hashed.loaded;
  }
  printIssues(stateDir, loaded.issues);
  if (loaded.issues.length > 0 || loaded.state === null) {
    printError('state is invalid; nothing applied');
    return 1;
  }
  if (refuseFailingTests(stateDir, loaded, layout)) return 1;
  const targets = openCellTargets(config);
  if (!values['dry-run'] && !(await takeCellForWriting(config, stateDir, targets, layout))) return 1;
  let observation: Observed | null = null;
  if (saved !== null) {
    // Under the cell lock: no other writer of ours moves the cell between this check and the apply.
    const check = await checkSavedPlan(saved, loaded.state, targets, layout, sha256Hex);
    if (!check.ok) {
      printError(`${check.error}; nothing applied`);
      return 1;
    }
    observation = check.observation;
  }
  const window: ApplyWindow | null =
    confirm.seconds === null
      ? null
      : await openApplyWindow(
          values,
          stateDir,
          statusDirOf(config, stateDir),
          targets,
          layout,
          loaded.state.cell.peer_subnet,
          confirm.seconds,
        );
  const result = await reconcileCell(loaded.state, targets, layout, {
    dryRun: values['dry-run'],
    ...(observation === null ? {} : { observation: Promise.resolve(observation) }),
    ...(values['allow-mass-delete']
      ? {}
      : { guard: (plan, observed) => massDeleteGuard(plan, observed, config.max_delete_share) }),
  }).catch(async (error: unknown) => {
    // A window is open: whatever the apply got to is rolled back before the error ends the command.
    await window?.close(false);
    throw error;
  });
  return reportApply(values, result, window);
}
