import type { AddressAction, RoutingAction } from '../model/plan.js';
import type { ExecResult, Target } from '../model/target.js';
import { restoreLineAt } from './restore-input.js';
import type { IpBatch } from './ip-batch.js';

type IpAction = AddressAction | RoutingAction;

/** The read commands appended to a batch, and how to parse what they print. */
export interface BatchRead<T> {
  readonly flags: readonly string[];
  readonly show: string;
  readonly parse: (output: string) => T;
}

export interface BatchOutcome<T> {
  /** One error per refused line, naming what the line was for. */
  readonly errors: readonly string[];
  /** The actions whose lines the kernel took. */
  readonly applied: readonly IpAction[];
  /** Absent when nothing was written or the read commands failed. */
  readonly readback?: T;
}

const FAILED = /^Command failed -:(\d+)$/;

/**
 * One `ip -force -batch`: the writes, then the read commands, so the same process reads back what
 * it wrote. `-force` goes on past a refused line and names it (`Command failed -:N`, after the
 * reason), so one bad route never holds back the others: each refusal is its own error.
 */
export async function applyIpBatch<T>(
  target: Target,
  batch: IpBatch | null,
  read: BatchRead<T>,
): Promise<BatchOutcome<T>> {
  if (batch === null) return { errors: [], applied: [] };
  const stdin = `${batch.text}${read.show}`;
  const result = await target.exec(['ip', ...read.flags, '-force', '-batch', '-'], { stdin });
  const all = batch.lines.flat();
  if (result.exitCode === 0) return { errors: [], applied: all, readback: read.parse(result.stdout) };
  const refused = refusedLines(result);
  // No line named: the command itself failed (not found, killed), and nothing is known to be written.
  if (refused.size === 0)
    return { errors: [`${target.locator}: ip -batch exit ${result.exitCode}: ${oneLine(result.stderr)}`], applied: [] };
  const errors = [...refused].map(([n, reason]) => {
    const actions = batch.lines[n - 1];
    const what = actions === undefined ? 'reading back' : actions.map(subjectOf).join(', ');
    return `${target.locator}: ip -batch refused line ${n} (${what}): ${reason} (input: ${restoreLineAt(stdin, n) ?? ''})`;
  });
  const applied = batch.lines.filter((_, i) => !refused.has(i + 1)).flat();
  const readFailed = [...refused.keys()].some((n) => n > batch.lines.length);
  return readFailed ? { errors, applied } : { errors, applied, readback: read.parse(result.stdout) };
}

/** Line number → the reason `ip` printed before naming it. */
function refusedLines(result: ExecResult): Map<number, string> {
  const refused = new Map<number, string>();
  let reason: string[] = [];
  for (const line of result.stderr.split('\n').map((l) => l.trim())) {
    const match = FAILED.exec(line);
    if (match) {
      refused.set(Number(match[1]), reason.join('; ') || 'refused');
      reason = [];
    } else if (line !== '') reason.push(line);
  }
  return refused;
}

/** Who a line is for: the peer of a policy rule, the exit cell's next hop of a route, a VIP. */
function subjectOf(action: IpAction): string {
  switch (action.kind) {
    case 'add-policy-rule':
    case 'delete-policy-rule':
      return `policy rule of peer ${action.rule.src}`;
    case 'add-route':
    case 'delete-route':
      return `route ${action.route.dst} via ${action.route.gateway} table ${action.route.table}`;
    case 'add-address':
    case 'delete-address':
      return `address ${action.address.address} on ${action.dev}`;
  }
}

function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ');
}
