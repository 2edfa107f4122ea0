import { layoutOf } from '../../config/controller-config.js';
import { loadState } from '../../load/load-state.js';
import { refuseFailingTests } from '../refuse-failing-tests.js';
import { formatIssue } from '../../load/state-issue.js';
import { observeCell } from '../../observe/observe-cell.js';
import { observeSaved } from '../../observe/observe-saved.js';
import { formatPlanText, planToJson } from '../../plan/format-plan.js';
import { planCell } from '../../plan/plan-cell.js';
import { renderCell } from '../../render/render-cell.js';
import type { CliValues } from '../main.js';
import { isDirectory, printError, readConfig, requireOption } from '../cli-common.js';
import { openCellTargets } from '../open-cell-targets.js';

/** `plan`: what apply would do. Exit 0 nothing to do, 2 changes pending, 1 error. */
export async function runPlan(values: CliValues): Promise<number> {
  const stateDir = requireOption(values.state, '--state');
  if (stateDir === null) return 1;
  const config = await readConfig(values);
  if (config === null) return 1;
  const layout = layoutOf(config);
  const loaded = await loadState(stateDir);
  for (const issue of loaded.issues) process.stderr.write(`${formatIssue(issue)}\n`);
  if (loaded.issues.length > 0 || loaded.state === null) return 1;
  if (refuseFailingTests(loaded, layoutOf(config))) return 1;

  if (values.from !== undefined && !(await isDirectory(values.from))) {
    printError(`--from ${values.from}: not a directory`);
    return 1;
  }
  const { observed, facts } = values.from
    ? await observeSaved(values.from, layout)
    : await observeCell(openCellTargets(config), layout);
  const plan = planCell(renderCell(loaded.state, facts, layout), observed, layout);
  process.stdout.write(values.json ? `${JSON.stringify(planToJson(plan), null, 2)}\n` : formatPlanText(plan));
  for (const skipped of plan.skipped) printError(`${skipped.part}: not observed: ${skipped.error}`);
  if (plan.skipped.length > 0) return 1;
  return plan.actions.length === 0 ? 0 : 2;
}
