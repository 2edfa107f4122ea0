import type { PolicyRuleSpec, RouteSpec } from '../model/network.js';
import type { Action, ChainEdit, Plan } from '../model/plan.js';
import { matchSequences } from './diff-sequence.js';

/**
 * A plan for people, in the manner of `terraform plan`: `+` create, `-` destroy,
 * `~` change, grouped by target, each action followed by its reason as a `#` comment, then one summary
 * line. And the same plan as JSON data for tools.
 */

export interface PlanSummary {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
}

export function summarizePlan(plan: Plan): PlanSummary {
  let add = 0;
  let change = 0;
  let destroy = 0;
  for (const action of plan.actions) {
    const effect = effectOf(action);
    if (effect === '+') add++;
    else if (effect === '~') change++;
    else destroy++;
  }
  return { add, change, destroy };
}

export function planToJson(plan: Plan): {
  format_version: 1;
  summary: PlanSummary;
  actions: readonly Action[];
  skipped: Plan['skipped'];
  warnings: readonly string[];
} {
  return {
    format_version: 1,
    summary: summarizePlan(plan),
    actions: plan.actions,
    skipped: plan.skipped,
    warnings: plan.warnings ?? [],
  };
}

const GROUPS = ['wireguard iptables', 'wireguard routing', 'caddy addresses', 'dns Corefile'] as const;
type Group = (typeof GROUPS)[number];

export function formatPlanText(plan: Plan): string {
  const out: string[] = [];
  for (const group of GROUPS) {
    const actions = plan.actions.filter((a) => groupOf(a) === group);
    if (actions.length === 0) continue;
    out.push(`${group}:`, ...actions.flatMap(formatAction), '');
  }
  const warnings = plan.warnings ?? [];
  if (warnings.length > 0)
    out.push('Left as they are (live entries that cannot be read exactly):', ...warnings.map((w) => `  ! ${w}`), '');
  if (plan.skipped.length > 0)
    out.push(
      `Not planned (could not observe, or could not read exactly): ${plan.skipped.map((s) => s.part).join(', ')}.`,
    );
  if (plan.actions.length === 0) {
    out.push(
      plan.skipped.length === 0
        ? 'No changes. The cell matches the desired state.'
        : 'No changes in the parts observed.',
    );
  } else {
    const { add, change, destroy } = summarizePlan(plan);
    out.push(`Plan: ${add} to add, ${change} to change, ${destroy} to destroy.`);
  }
  return `${out.join('\n')}\n`;
}

function groupOf(action: Action): Group {
  switch (action.kind) {
    case 'create-chain':
    case 'update-chain':
    case 'delete-chain':
    case 'insert-jump':
    case 'delete-rule':
      return 'wireguard iptables';
    case 'add-policy-rule':
    case 'delete-policy-rule':
    case 'add-route':
    case 'delete-route':
      return 'wireguard routing';
    case 'add-address':
    case 'delete-address':
      return 'caddy addresses';
    case 'write-corefile':
      return 'dns Corefile';
  }
}

function effectOf(action: Action): '+' | '~' | '-' {
  switch (action.kind) {
    case 'create-chain':
    case 'insert-jump':
    case 'add-policy-rule':
    case 'add-route':
    case 'add-address':
      return '+';
    case 'update-chain':
      return '~';
    case 'write-corefile':
      return action.previous === null ? '+' : '~';
    case 'delete-chain':
    case 'delete-rule':
    case 'delete-policy-rule':
    case 'delete-route':
    case 'delete-address':
      return '-';
  }
}

const DETAIL = '      ';

function formatAction(action: Action): string[] {
  const head = (what: string): string => `  ${effectOf(action)} ${what}  # ${action.reason}`;
  switch (action.kind) {
    case 'create-chain':
      return [
        head(`chain ${action.table} ${action.chain}`),
        ...action.rules.map((r) => `${DETAIL}+ ${ruleLine(action.chain, r)}`),
      ];
    case 'delete-chain':
      return [
        head(`chain ${action.table} ${action.chain}`),
        ...action.rules.map((r) => `${DETAIL}- ${ruleLine(action.chain, r)}`),
      ];
    case 'update-chain':
      return [
        head(`chain ${action.table} ${action.chain}`),
        ...inReadingOrder(action.edits).map(
          (e) => `${DETAIL}${e.op === 'insert' ? '+' : '-'} ${ruleLine(action.chain, e.rule)}`,
        ),
      ];
    case 'insert-jump':
      return [head(`${action.table} -I ${action.chain} 1 ${action.rule}`)];
    case 'delete-rule':
      return [head(`${action.table} ${ruleLine(action.chain, action.rule)}`)];
    case 'add-policy-rule':
    case 'delete-policy-rule':
      return [head(`ip rule ${policyRuleText(action.rule)}`)];
    case 'add-route':
    case 'delete-route':
      return [head(`ip route ${routeText(action.route)}`)];
    case 'add-address':
    case 'delete-address':
      return [
        head(`${action.address.address}/${action.address.prefixlen} dev ${action.dev} label ${action.address.label}`),
      ];
    case 'write-corefile':
      return [head('Corefile'), ...lineDiff(action.previous ?? '', action.text).map((l) => `${DETAIL}${l}`)];
  }
}

function ruleLine(chain: string, rule: string): string {
  return rule === '' ? `-A ${chain}` : `-A ${chain} ${rule}`;
}

function policyRuleText(rule: PolicyRuleSpec): string {
  const suppress = rule.suppressPrefixlength === null ? '' : ` suppress_prefixlength ${rule.suppressPrefixlength}`;
  return `priority ${rule.priority} from ${rule.src} lookup ${rule.table}${suppress}`;
}

function routeText(route: RouteSpec): string {
  return `${route.dst} via ${route.gateway} dev ${route.dev} table ${route.table}`;
}

/**
 * Edit scripts run from the end of the chain backwards (chain-edits.ts); people read
 * top down. Split the script into its hunks (a hunk deletes at one index, then inserts
 * at consecutive indexes from there) and show them last hunk first.
 */
function inReadingOrder(edits: readonly ChainEdit[]): ChainEdit[] {
  const hunks: ChainEdit[][] = [];
  let previous: ChainEdit | undefined;
  for (const edit of edits) {
    const continues =
      previous !== undefined &&
      (edit.op === 'delete'
        ? previous.op === 'delete' && previous.index === edit.index
        : edit.index === (previous.op === 'delete' ? previous.index : previous.index + 1));
    if (continues) hunks[hunks.length - 1]?.push(edit);
    else hunks.push([edit]);
    previous = edit;
  }
  return hunks.reverse().flat();
}

/** Changed lines with one line of context, `...` between distant hunks. */
function lineDiff(from: string, to: string): string[] {
  const a = from === '' ? [] : from.replace(/\n$/, '').split('\n');
  const b = to.replace(/\n$/, '').split('\n');
  const rows: { mark: ' ' | '-' | '+'; text: string }[] = [];
  let i = 0;
  let j = 0;
  for (const [mi, mj] of [...matchSequences(a, b), [a.length, b.length] as const]) {
    while (i < mi) rows.push({ mark: '-', text: a[i++] as string });
    while (j < mj) rows.push({ mark: '+', text: b[j++] as string });
    if (mi < a.length) rows.push({ mark: ' ', text: a[mi] as string });
    i = mi + 1;
    j = mj + 1;
  }
  const near = (k: number): boolean =>
    rows[k]?.mark !== ' ' ||
    rows[k - 1]?.mark === '-' ||
    rows[k - 1]?.mark === '+' ||
    rows[k + 1]?.mark === '-' ||
    rows[k + 1]?.mark === '+';
  const out: string[] = [];
  let gap = false;
  rows.forEach((row, k) => {
    if (!near(k)) {
      gap = true;
      return;
    }
    if (gap && out.length > 0) out.push('  ...');
    gap = false;
    out.push(`${row.mark} ${row.text}`.trimEnd());
  });
  return out;
}
