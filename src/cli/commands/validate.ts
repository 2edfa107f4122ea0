import { failingAccessTests } from '../../access/evaluate-access-tests.js';
import { resourceSources } from '../../access/rule-provenance.js';
import { layoutOf } from '../../config/controller-config.js';
import { loadState } from '../../load/load-state.js';
import { formatIssue } from '../../load/state-issue.js';
import type { CliValues } from '../main.js';
import { readConfig, requireOption } from '../cli-common.js';

export async function runValidate(values: CliValues): Promise<number> {
  const stateDir = requireOption(values.state, '--state');
  if (stateDir === null) return 1;
  const config = await readConfig(values);
  if (config === null) return 1;
  const loaded = await loadState(stateDir);
  // Tests run only on a valid state: they are evaluated against its rendered rules.
  const failing = loaded.state === null || loaded.issues.length > 0 ? [] : failingAccessTests(loaded.state, resourceSources(loaded), layoutOf(config));
  const issues = [...loaded.issues, ...failing];
  for (const issue of issues) process.stderr.write(`${formatIssue(issue)}\n`);
  if (issues.length > 0 || loaded.state === null) {
    process.stderr.write(`${stateDir}: invalid (${issues.length} error${issues.length === 1 ? '' : 's'})\n`);
    return 1;
  }
  const { peers, links, tests = [] } = loaded.state;
  const passed = tests.length === 0 ? '' : `, ${tests.length} access test${tests.length === 1 ? '' : 's'} pass`;
  process.stdout.write(`${stateDir}: valid: cell ${loaded.state.cell.name}, ${peers.length} peers, ${links.length} cell links${passed}\n`);
  return 0;
}
