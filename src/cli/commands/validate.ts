import { failingAccessTests } from '../../access/evaluate-access-tests.js';
import { resourceSources } from '../../access/rule-provenance.js';
import { layoutOf } from '../../config/controller-config.js';
import { loadState } from '../../load/load-state.js';
import { escapeControl } from '../../text/state-issue.js';
import type { CliValues } from '../cli-values.js';
import { issueInFolder, printIssues, readConfig, requireOption } from '../cli-common.js';

/** `validate`: checks the state folder, then its AccessTests against the rendered rules. Exit 0 valid, 1 invalid. */
export async function runValidate(values: CliValues): Promise<number> {
  const stateDir = requireOption(values.state, '--state');
  if (stateDir === null) return 1;
  // The layout (interfaces, api port) decides how the rendered rules answer the tests.
  const config = await readConfig(values);
  if (config === null) return 1;
  const loaded = await loadState(stateDir);
  // Tests run only on a valid state: they are evaluated against its rendered rules.
  const valid = loaded.issues.length === 0 ? loaded.state : null;
  const failing = valid === null ? [] : failingAccessTests(valid, resourceSources(loaded), layoutOf(config));
  const issues = [...loaded.issues, ...failing];
  printIssues(stateDir, issues);
  const state = issues.length === 0 ? valid : null;
  const tests = state?.tests?.length ?? 0;
  if (values.json) {
    // What did load, also from an invalid folder (the README's `{ state, valid, cell, peers, links, issues }`):
    // cell null when no Cell resource loaded; tests only once they ran.
    const found = loaded.state;
    const summary = {
      cell: found?.cell.name ?? null,
      peers: found?.peers.length ?? 0,
      links: found?.links.length ?? 0,
      ...(state === null ? {} : { tests }),
    };
    process.stdout.write(
      `${JSON.stringify({ state: stateDir, valid: state !== null, ...summary, issues: issues.map((issue) => issueInFolder(stateDir, issue)) }, null, 2)}\n`,
    );
  }
  const shown = escapeControl(stateDir);
  if (state === null) {
    process.stderr.write(`${shown}: invalid (${issues.length} error${issues.length === 1 ? '' : 's'})\n`);
    return 1;
  }
  const passed = tests === 0 ? '' : `, ${tests} access test${tests === 1 ? '' : 's'} pass`;
  if (!values.json)
    process.stdout.write(
      `${shown}: valid: cell ${state.cell.name}, ${state.peers.length} peers, ${state.links.length} cell links${passed}\n`,
    );
  return 0;
}
