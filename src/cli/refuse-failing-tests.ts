import { failingAccessTests } from '../access/evaluate-access-tests.js';
import { resourceSources } from '../access/rule-provenance.js';
import type { LoadedState } from '../load/loaded-state.js';
import type { LayoutConfig } from '../model/facts.js';
import { printError, printIssues } from './cli-common.js';

/** plan and apply refuse a state whose AccessTests fail: prints each failing test and says so; true when refused. */
export function refuseFailingTests(stateDir: string, loaded: LoadedState, layout: LayoutConfig): boolean {
  if (loaded.state === null) return false;
  const failing = failingAccessTests(loaded.state, resourceSources(loaded), layout);
  printIssues(stateDir, failing);
  if (failing.length > 0)
    printError(`${failing.length} access test${failing.length === 1 ? '' : 's'} fail; nothing applied`);
  return failing.length > 0;
}
