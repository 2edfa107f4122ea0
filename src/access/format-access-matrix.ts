/**
 * The access matrix as text (a table in the demo's style, then every cell that differs from
 * the desired state with the rule that decided) or as JSON data. Rule text comes from a live
 * dump, so it is escaped before it reaches a terminal.
 */
import { escapeControl } from '../text/state-issue.js';
import { TABLES, type ObservedIptables } from '../model/iptables.js';
import type { PathStep } from './access-types.js';
import type { ComparedCell, MatrixAxes } from './access-matrix.js';
import { stepRuleJson } from './step-rule-json.js';

export interface MatrixReport {
  readonly axes: MatrixAxes;
  readonly cells: readonly ComparedCell[];
  /** 'live' or 'saved (DIR)'. */
  readonly rules: string;
  /** The rulesets the model walked, e.g. ['nft', 'legacy']. */
  readonly rulesets: readonly string[];
  /** The other iptables backend's rules, as `table -A CHAIN rule`; empty when there is none. */
  readonly otherBackend: { readonly name: string; readonly rules: readonly string[] } | null;
}

/** Every rule and non-ACCEPT policy of a backend's filter and nat tables. */
export function otherBackendRules(tables: ObservedIptables): string[] {
  const out: string[] = [];
  for (const table of TABLES) {
    for (const chain of tables[table].chains.values()) {
      if (chain.policy !== null && chain.policy !== 'ACCEPT') out.push(`${table} -P ${chain.name} ${chain.policy}`);
      for (const rule of chain.rules)
        out.push(`${table} -A ${chain.name} ${typeof rule === 'string' ? rule : rule.text}`);
    }
  }
  return out;
}

function mark(reaches: boolean | null): string {
  return reaches === null ? '?' : reaches ? 'yes' : 'no';
}

function stepText(step: PathStep | null): string {
  if (step === null) return 'routing';
  const where = step.index === 0 ? `${step.chain} policy` : `${step.chain} rule ${step.index}`;
  return `${step.ruleset} ${step.table} ${where} (${step.owner}): ${escapeControl(step.rule)}`;
}

export function formatMatrixText(report: MatrixReport): string {
  const { rows, columns } = report.axes;
  const byPair = new Map(report.cells.map((c) => [`${c.from}\n${c.to}`, c]));
  const table = [
    ['from \\ to', ...columns],
    ...rows.map((from) => [
      from,
      ...columns.map((to) => {
        const cell = byPair.get(`${from}\n${to}`);
        return cell === undefined ? '-' : `${mark(cell.reaches)}${cell.differs ? '!' : ''}`;
      }),
    ]),
  ].map((r) => r.map(escapeControl));
  const widths = (table[0] ?? []).map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  const lines = table.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, '-'.repeat(Math.max(...lines.map((l) => l.length))));
  const differing = report.cells.filter((c) => c.differs);
  lines.push(
    '',
    `over the ${report.rules} rules (${report.rulesets.join(' + ')}); yes/no: a TCP connection from the row reaches the column; ?: unknown; -: itself; !: differs from what the desired state implies`,
  );
  if (differing.length > 0) {
    lines.push(`${differing.length} pair(s) differ from the desired state:`);
    for (const c of differing)
      lines.push(
        `  ${escapeControl(c.from)} → ${escapeControl(c.to)}: live ${mark(c.reaches)}, desired ${mark(c.desired)}, decided by ${stepText(c.decidedBy)}`,
      );
  }
  if (report.otherBackend !== null && report.otherBackend.rules.length > 0) {
    lines.push(
      `the ${report.otherBackend.name} backend holds ${report.otherBackend.rules.length} rule(s) the kernel enforces too:`,
    );
    for (const rule of report.otherBackend.rules) lines.push(`  ${escapeControl(rule)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function matrixToJson(report: MatrixReport): Record<string, unknown> {
  return {
    rules: report.rules,
    rulesets: report.rulesets,
    rows: report.axes.rows,
    columns: report.axes.columns,
    cells: report.cells.map((c) => ({
      from: c.from,
      to: c.to,
      reaches: c.reaches,
      desired: c.desired,
      differs: c.differs,
      decided_by: c.decidedBy === null ? null : stepRuleJson(c.decidedBy),
      reason: c.reason,
    })),
    differing: report.cells.filter((c) => c.differs).length,
    other_backend: report.otherBackend,
  };
}
