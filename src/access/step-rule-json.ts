import type { PathStep } from './access-types.js';

/**
 * The rule a step of the packet model's path stands at, as the JSON outputs print it: where it
 * is, its text, whose it is and the state field it comes from. `access --json` names the
 * deciding rule with it; `explain --json` adds what each step did.
 */
export function stepRuleJson(step: PathStep): Record<string, unknown> {
  return {
    ruleset: step.ruleset,
    table: step.table,
    chain: step.chain,
    index: step.index,
    rule: step.rule,
    owner: step.owner,
    source: step.source,
  };
}
