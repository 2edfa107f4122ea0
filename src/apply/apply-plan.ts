import type { CellTargets } from '../model/cell-targets.js';
import type { Action, AddressAction, CorefileAction, IptablesAction, Plan, RoutingAction } from '../model/plan.js';
import type { Target } from '../model/target.js';
import { compileIpBatch } from './ip-batch.js';
import { compileRestoreInput, restoreLineAt } from './restore-input.js';
import { writeFileAtomic } from './write-file-atomic.js';

/** What one apply wrote, per kind of write; a no-op apply has all zeros. */
export interface ApplyCounts {
  readonly restores: number;
  readonly ipBatches: number;
  readonly fileWrites: number;
  readonly signals: number;
}

export interface ApplyFailure {
  readonly part: 'iptables' | 'routing' | 'addresses' | 'corefile';
  readonly error: string;
}

export interface ApplyResult {
  readonly counts: ApplyCounts;
  readonly failures: readonly ApplyFailure[];
  /** The parts that were written (and so must be verified). */
  readonly touched: { readonly iptables: boolean; readonly routing: boolean; readonly addresses: boolean; readonly corefile: boolean };
}

function isIptables(a: Action): a is IptablesAction {
  return a.kind.endsWith('-chain') || a.kind === 'insert-jump' || a.kind === 'delete-rule';
}
function isRouting(a: Action): a is RoutingAction {
  return a.kind.endsWith('-policy-rule') || a.kind.endsWith('-route');
}
function isAddress(a: Action): a is AddressAction {
  return a.kind.endsWith('-address');
}
function isCorefile(a: Action): a is CorefileAction {
  return a.kind === 'write-corefile';
}

function lastLine(text: string): string {
  return text.trim().split('\n').slice(-1)[0] ?? '';
}

/** iptables-restore names the failing line (`line 7 failed`); show that line of our input. */
function restoreError(target: Target, input: string, exitCode: number, stderr: string): string {
  const match = /line (\d+) failed/.exec(stderr);
  const line = match ? restoreLineAt(input, Number(match[1])) : null;
  return `${target.locator}: iptables-restore exit ${exitCode}: ${lastLine(stderr)}${line ? ` (input line ${match?.[1]}: ${line})` : ''}`;
}

async function applyIptables(target: Target, actions: readonly IptablesAction[]): Promise<string | null> {
  const input = compileRestoreInput(actions);
  if (input === null) return null;
  const result = await target.exec(['iptables-restore', '--noflush', '-w'], { stdin: input });
  return result.exitCode === 0 ? null : restoreError(target, input, result.exitCode, result.stderr);
}

async function applyBatch(target: Target, lines: string | null): Promise<string | null> {
  if (lines === null) return null;
  const result = await target.exec(['ip', '-batch', '-'], { stdin: lines });
  return result.exitCode === 0 ? null : `${target.locator}: ip -batch exit ${result.exitCode}: ${lastLine(result.stderr)}`;
}

async function attempt(part: ApplyFailure['part'], work: () => Promise<string | null>): Promise<ApplyFailure | null> {
  try {
    const error = await work();
    return error === null ? null : { part, error };
  } catch (error) {
    return { part, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Carries a plan out: one iptables-restore transaction for every iptables change, one
 * `ip -batch` per target, the Corefile by atomic replace followed by one SIGUSR1.
 * Parts are independent: a failure in one leaves the others applied and is returned, not thrown.
 */
export async function applyPlan(plan: Plan, targets: CellTargets): Promise<ApplyResult> {
  const iptables = plan.actions.filter(isIptables);
  const routing = plan.actions.filter(isRouting);
  const addresses = plan.actions.filter(isAddress);
  const corefile = plan.actions.filter(isCorefile).at(-1);
  const routingBatch = compileIpBatch(routing);
  const addressBatch = compileIpBatch(addresses);

  // The wireguard target gets its firewall first, then its routes; caddy and dns in parallel.
  const wireguardWork = (async () => [
    await attempt('iptables', () => applyIptables(targets.wireguard, iptables)),
    await attempt('routing', () => applyBatch(targets.wireguard, routingBatch)),
  ])();
  const [wireguardFailures, addressFailure, corefileFailure] = await Promise.all([
    wireguardWork,
    attempt('addresses', () => applyBatch(targets.caddy, addressBatch)),
    attempt('corefile', async () => {
      if (corefile === undefined) return null;
      await writeFileAtomic(targets.corefilePath, corefile.text);
      await targets.dns.reload();
      return null;
    }),
  ]);
  const failures = [...wireguardFailures, addressFailure, corefileFailure].filter((f): f is ApplyFailure => f !== null);
  return {
    counts: {
      restores: iptables.length > 0 ? 1 : 0,
      ipBatches: (routingBatch === null ? 0 : 1) + (addressBatch === null ? 0 : 1),
      fileWrites: corefile === undefined ? 0 : 1,
      signals: corefile === undefined ? 0 : 1,
    },
    failures,
    touched: {
      iptables: iptables.length > 0,
      routing: routingBatch !== null,
      addresses: addressBatch !== null,
      corefile: corefile !== undefined,
    },
  };
}
