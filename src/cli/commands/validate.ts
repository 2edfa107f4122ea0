import { loadState } from '../../load/load-state.js';
import { escapeControl } from '../../load/state-issue.js';
import type { CliValues } from '../cli-values.js';
import { issueInFolder, printIssues, requireOption } from '../cli-common.js';

/** `validate`: checks the state folder. Exit 0 valid, 1 invalid. */
export async function runValidate(values: CliValues): Promise<number> {
  const stateDir = requireOption(values.state, '--state');
  if (stateDir === null) return 1;
  const loaded = await loadState(stateDir);
  printIssues(stateDir, loaded.issues);
  const state = loaded.issues.length === 0 ? loaded.state : null;
  if (values.json) {
    const summary = state === null ? {} : { cell: state.cell.name, peers: state.peers.length, links: state.links.length };
    const issues = loaded.issues.map((issue) => issueInFolder(stateDir, issue));
    process.stdout.write(`${JSON.stringify({ state: stateDir, valid: state !== null, ...summary, issues }, null, 2)}\n`);
  }
  const shown = escapeControl(stateDir);
  if (state === null) {
    process.stderr.write(`${shown}: invalid (${loaded.issues.length} error${loaded.issues.length === 1 ? '' : 's'})\n`);
    return 1;
  }
  if (!values.json) process.stdout.write(`${shown}: valid: cell ${state.cell.name}, ${state.peers.length} peers, ${state.links.length} cell links\n`);
  return 0;
}
