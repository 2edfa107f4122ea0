import type { CellTargets } from '../model/cell-targets.js';
import type { Action, AddressAction, CorefileAction, IptablesAction, Plan, RoutingAction } from '../model/plan.js';
import type { ExecResult, Target } from '../model/target.js';
import { compileIpBatch } from './ip-batch.js';
import { compileRestoreInput, restoreLineAt } from './restore-input.js';
import { writeFileAtomic } from './write-file-atomic.js';


const RESTORE_LOCK_WAIT_SECONDS = 5;
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

// Where each tool names the failing line of its input. iptables-restore (nft 1.8): `line 7 failed: ...`,
// `line 7: CHAIN_DEL failed (...)` for a kernel refusal at COMMIT, or `Error occurred at line: 7` after
// a parse error, whose reason is on an earlier line; `ip -batch`: `Command failed -:7` after the reason.
const FAILED_LINE = /\bline:? (\d+)\b|^Command failed -:(\d+)$/m;
// Lines that only repeat the line number or give a usage hint, and iptables-restore's version prefix.
const NOISE = /^(Error occurred at line: \d+|Try `iptables-restore -h'.*|Command failed -:\d+)$/;
const VERSION_PREFIX = /^iptables-restore v[^:]*:\s*/;

/** The reason the command gave, without its noise; and the failing line of our input, so a person sees what was refused. */
function inputError(target: Target, command: string, input: string, result: ExecResult): string {
  const reason = result.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !NOISE.test(line))
    .map((line) => line.replace(VERSION_PREFIX, ''))
    .filter((line) => line !== '')
    .join('; ');
  const match = FAILED_LINE.exec(result.stderr);
  const lineNumber = match?.[1] ?? match?.[2];
  const line = lineNumber === undefined ? null : restoreLineAt(input, Number(lineNumber));
  return `${target.locator}: ${command} exit ${result.exitCode}: ${reason}${line === null ? '' : ` (input line ${lineNumber}: ${line})`}`;
}

async function applyIptables(target: Target, actions: readonly IptablesAction[]): Promise<string | null> {
  const input = compileRestoreInput(actions);
  if (input === null) return null;
  // A bounded lock wait, below the exec deadline: a restore we stopped waiting for must not
  // commit later, since its rule indexes come from the view this pass observed.
  const result = await target.exec(['iptables-restore', '--noflush', '-w', String(RESTORE_LOCK_WAIT_SECONDS)], { stdin: input });
  return result.exitCode === 0 ? null : inputError(target, 'iptables-restore', input, result);
}

async function applyBatch(target: Target, lines: string | null): Promise<string | null> {
  if (lines === null) return null;
  const result = await target.exec(['ip', '-batch', '-'], { stdin: lines });
  return result.exitCode === 0 ? null : inputError(target, 'ip -batch', lines, result);
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
  const reload = corefile !== undefined || targets.dns.reloadPending;
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
      if (corefile !== undefined) await writeFileAtomic(targets.corefilePath, corefile.text);
      if (reload) await targets.dns.reload();
      return null;
    }),
  ]);
  const failures = [...wireguardFailures, addressFailure, corefileFailure].filter((f): f is ApplyFailure => f !== null);
  return {
    counts: {
      restores: iptables.length > 0 ? 1 : 0,
      ipBatches: (routingBatch === null ? 0 : 1) + (addressBatch === null ? 0 : 1),
      fileWrites: corefile === undefined ? 0 : 1,
      signals: reload ? 1 : 0,
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
