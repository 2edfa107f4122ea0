import { failingAccessTests } from '../access/evaluate-access-tests.js';
import { resourceSources } from '../access/rule-provenance.js';
import type { LoadedState } from '../load/loaded-state.js';
import { formatIssue } from '../load/state-issue.js';
import type { LayoutConfig } from '../model/facts.js';
import { printError } from './cli-common.js';

/** plan and apply refuse a state whose AccessTests fail: prints each failing test and says so; true when refused. */
export function refuseFailingTests(loaded: LoadedState, layout: LayoutConfig): boolean {
  if (loaded.state === null) return false;
  const failing = failingAccessTests(loaded.state, resourceSources(loaded), layout);
  for (const issue of failing) process.stderr.write(`${formatIssue(issue)}\n`);
  if (failing.length > 0) printError(`${failing.length} access test(s) fail; nothing applied`);
  return failing.length > 0;
}
