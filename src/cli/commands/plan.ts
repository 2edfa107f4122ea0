import { layoutOf } from '../../config/controller-config.js';
import { loadState } from '../../load/load-state.js';
import { ALL_PARTS, observeCell } from '../../observe/observe-cell.js';
import { refuseFailingTests } from '../refuse-failing-tests.js';
import { observeSaved } from '../../observe/observe-saved.js';
import { formatPlanText, planToJson } from '../../plan/format-plan.js';
import { planCell } from '../../plan/plan-cell.js';
import { claimsOf } from '../../plan/plan-vip-claims.js';
import { renderCell } from '../../render/render-cell.js';
import type { CliValues } from '../cli-values.js';
import { isDirectory, printError, printIssues, readConfig, requireOption } from '../cli-common.js';
import { openCellTargets } from '../../targets/open-cell-targets.js';
import { planForStdout } from '../plan-colour.js';

/** `plan`: what apply would do. Exit 0 nothing to do, 2 changes pending, 1 error. */
export async function runPlan(values: CliValues): Promise<number> {
  const stateDir = requireOption(values.state, '--state');
  if (stateDir === null) return 1;
  const config = await readConfig(values, { announce: true });
  if (config === null) return 1;
  const layout = layoutOf(config);
  const loaded = await loadState(stateDir);
  printIssues(stateDir, loaded.issues);
  if (loaded.issues.length > 0 || loaded.state === null) return 1;
  if (refuseFailingTests(stateDir, loaded, layoutOf(config))) return 1;

  const dump = values['from-dump'];
  if (dump !== undefined && !(await isDirectory(dump))) {
    printError(`--from-dump ${dump}: not a directory`);
    return 1;
  }
  const { observed, facts } = dump
    ? await observeSaved(dump, layout)
    : await observeCell(openCellTargets(config), layout, ALL_PARTS, loaded.state.cell.ip_range);
  const plan = planCell(renderCell(loaded.state, facts, layout), observed, layout, claimsOf(loaded.state, facts));
  process.stdout.write(
    values.json ? `${JSON.stringify(planToJson(plan), null, 2)}\n` : planForStdout(formatPlanText(plan)),
  );
  for (const skipped of plan.skipped) printError(`${skipped.part}: not observed: ${skipped.error}`);
  if (plan.skipped.length > 0) return 1;
  return plan.actions.length === 0 ? 0 : 2;
}
