import { layoutOf } from '../../config/controller-config.js';
import { ALL_PARTS, observeCell } from '../../observe/observe-cell.js';
import { refuseFailingTests } from '../refuse-failing-tests.js';
import { observeSaved } from '../../observe/observe-saved.js';
import { formatPlanText, planToJson } from '../../plan/format-plan.js';
import { planCell } from '../../plan/plan-cell.js';
import { claimsOf } from '../../plan/plan-vip-claims.js';
import { renderCell } from '../../render/render-cell.js';
import { escapeUntrusted } from '../../text/escape-untrusted.js';
import type { CliValues } from '../cli-values.js';
import { isDirectory, printError, printIssues, readConfig, requireOption } from '../cli-common.js';
import { openCellTargets } from '../../targets/open-cell-targets.js';
import { planForStdout } from '../plan-colour.js';
import { loadHashedState, savePlanFile } from '../saved-plan-io.js';
import { planFileText } from '../../plan/plan-file.js';

/**
 * `plan`: what apply would do. Exit 0 nothing to do, 2 changes pending, 1 error. With `--out FILE`
 * the plan is also saved for `apply FILE` (plan-file.ts), and `--json` prints that file.
 */
export async function runPlan(values: CliValues): Promise<number> {
  const stateDir = requireOption(values.state, '--state');
  if (stateDir === null) return 1;
  const config = await readConfig(values, { announce: true });
  if (config === null) return 1;
  const layout = layoutOf(config);
  const out = values.out;
  const dump = values['from-dump'];
  if (out !== undefined && dump !== undefined) {
    printError('--out and --from-dump cannot go together: a saved plan is applied to the live cell it was made on');
    return 1;
  }
  const hashed = await loadHashedState(stateDir);
  const loaded = hashed.loaded;
  printIssues(stateDir, loaded.issues);
  if (loaded.issues.length > 0 || loaded.state === null) return 1;
  if (refuseFailingTests(stateDir, loaded, layoutOf(config))) return 1;

  if (dump !== undefined && !(await isDirectory(dump))) {
    printError(`--from-dump ${dump}: not a directory`);
    return 1;
  }
  const observation = dump
    ? await observeSaved(dump, layout)
    : await observeCell(openCellTargets(config), layout, ALL_PARTS, loaded.state.cell.ip_range);
  const { observed, facts } = observation;
  const plan = planCell(renderCell(loaded.state, facts, layout), observed, layout, claimsOf(loaded.state, facts));
  let saved: string | null = null;
  if (out !== undefined && plan.skipped.length === 0) {
    try {
      saved = planFileText(await savePlanFile(out, { plan, stateDir, state: hashed, config, layout, observation }));
    } catch (error) {
      printError(`--out ${out}: cannot write: ${(error as Error).message}`);
      return 1;
    }
  }
  process.stdout.write(
    values.json ? (saved ?? `${JSON.stringify(planToJson(plan), null, 2)}\n`) : planForStdout(formatPlanText(plan)),
  );
  for (const skipped of plan.skipped) printError(`${skipped.part}: not observed: ${skipped.error}`);
  if (out !== undefined && saved === null)
    printError(`--out ${out}: not written: parts of the cell could not be planned (above)`);
  if (plan.skipped.length > 0) return 1;
  if (saved !== null)
    process.stderr.write(
      `${escapeUntrusted(`saved the plan to ${out}; apply exactly these actions with \`pic-reconciler apply ${out}\``)}\n`,
    );
  return plan.actions.length === 0 ? 0 : 2;
}
