import { loadState } from '../../load/load-state.js';
import { formatIssue } from '../../load/state-issue.js';
import type { CliValues } from '../main.js';
import { requireOption } from '../cli-common.js';

export async function runValidate(values: CliValues): Promise<number> {
  const stateDir = requireOption(values.state, '--state');
  if (stateDir === null) return 1;
  const loaded = await loadState(stateDir);
  for (const issue of loaded.issues) process.stderr.write(`${formatIssue(issue)}\n`);
  if (loaded.issues.length > 0 || loaded.state === null) {
    process.stderr.write(`${stateDir}: invalid (${loaded.issues.length} error${loaded.issues.length === 1 ? '' : 's'})\n`);
    return 1;
  }
  const { peers, links } = loaded.state;
  process.stdout.write(`${stateDir}: valid: cell ${loaded.state.cell.name}, ${peers.length} peers, ${links.length} cell links\n`);
  return 0;
}
