import type { CellTargets } from '../model/cell-targets.js';
import type { Action, AddressAction, CorefileAction, IptablesAction, Plan, RoutingAction } from '../model/plan.js';
import type { LayoutConfig } from '../model/facts.js';
import type { IptablesBackend, ObservedCell } from '../model/observed-cell.js';
import { ProgramNotFoundError, type ExecResult, type Target } from '../model/target.js';
import { parseBackendsOutput, restoreProgram, SAVE_BOTH, type BackendsRead } from '../parse/parse-iptables-backends.js';
import { addressShow, parseAddressOutput, parseRoutingOutput, ROUTING_SHOW } from '../observe/read-live-output.js';
import { applyIpBatch, type BatchOutcome } from './apply-ip-batch.js';
import { compileIpBatch } from './ip-batch.js';
import { compileRestoreInput, restoreLineAt } from './restore-input.js';
import { writeFileAtomic } from './write-file-atomic.js';

const RESTORE_LOCK_WAIT_SECONDS = 5;

/** What one apply wrote, per kind of write that took effect; a no-op apply has all zeros. */
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
  /** The actions that really were carried out: a refused line, a failed restore or write is not here. */
  readonly applied: readonly Action[];
  readonly failures: readonly ApplyFailure[];
  /** The parts that were written (and so must be verified). */
  readonly touched: {
    readonly iptables: boolean;
    readonly routing: boolean;
    readonly addresses: boolean;
    readonly corefile: boolean;
  };
  /** Written parts as the writing process read them back; a part missing here is observed again by verify. */
  readonly readback: Partial<Pick<ObservedCell, 'iptables' | 'backend' | 'policyRules' | 'routes' | 'addresses'>>;
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
// a parse error, whose reason is on an earlier line. (`ip -batch` failures: apply-ip-batch.ts.)
const FAILED_LINE = /\bline:? (\d+)\b/m;
// Lines that only repeat the line number or give a usage hint, and iptables-restore's version prefix.
const NOISE = /^(Error occurred at line: \d+|Try `iptables-restore -h'.*)$/;
const VERSION_PREFIX = /^iptables(?:-legacy|-nft)?-restore v[^:]*:\s*/;

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
  const lineNumber = match?.[1];
  const line = lineNumber === undefined ? null : restoreLineAt(input, Number(lineNumber));
  return `${target.locator}: ${command} exit ${result.exitCode}: ${reason}${line === null ? '' : ` (input line ${lineNumber}: ${line})`}`;
}

function restoreArgv(backend: IptablesBackend | null): readonly string[] {
  return [restoreProgram(backend), '--noflush', '-w', String(RESTORE_LOCK_WAIT_SECONDS)];
}
/** Printed between a successful restore and the tables read back after it. */
export const RESTORED_MARK = '# pic-reconciler: restored';
// One process writes and reads back: the restore into the cell's backend, then (only if it
// succeeded) the mark and both backends' tables, as observe reads them.
function restoreThenSave(backend: IptablesBackend | null): string {
  return `${restoreArgv(backend).join(' ')} || exit; echo '${RESTORED_MARK}'; ${SAVE_BOTH}`;
}
const BACKENDS = [null, 'legacy', 'nft'] as const;
const RESTORE_PROGRAMS = new Set(BACKENDS.map(restoreProgram));
const RESTORE_SCRIPTS = new Set(BACKENDS.map(restoreThenSave));

/** True for the exec that carries a plan's iptables changes, whichever way it was run. */
export function isRestoreCommand(argv: readonly string[]): boolean {
  return RESTORE_PROGRAMS.has(argv[0] ?? '') || (argv[0] === 'sh' && RESTORE_SCRIPTS.has(argv[2] ?? ''));
}

/** What one part's write returned: why it failed, and the part as read back right after it. */
interface PartOutcome<T> {
  readonly error: string | null;
  /** Absent when nothing was written, the write failed, or the target could not read back in the same process. */
  readonly readback?: T;
}

const NOTHING_WRITTEN: PartOutcome<never> = { error: null };

// A bounded lock wait, below the exec deadline: a restore we stopped waiting for must not
// commit later, since its rule indexes come from the view this pass observed.
async function applyIptables(
  target: Target,
  actions: readonly IptablesAction[],
  backend: IptablesBackend | null,
): Promise<PartOutcome<BackendsRead>> {
  const input = compileRestoreInput(actions);
  if (input === null) return NOTHING_WRITTEN;
  const program = restoreProgram(backend);
  let result: ExecResult;
  try {
    result = await target.exec(['sh', '-c', restoreThenSave(backend)], { stdin: input });
  } catch (error) {
    if (!(error instanceof ProgramNotFoundError)) throw error;
    // A target without a shell: the restore alone; verify reads back with a process of its own.
    const alone = await target.exec(restoreArgv(backend), { stdin: input });
    return { error: alone.exitCode === 0 ? null : inputError(target, program, input, alone) };
  }
  const saved = afterMark(result.stdout);
  if (saved === null) return { error: inputError(target, program, input, result) };
  // A failed read-back is no verdict: verify then reads the tables with a process of its own.
  return result.exitCode === 0
    ? { error: null, readback: parseBackendsOutput(target.locator, saved) }
    : { error: null };
}

/** What follows the mark line (printed only after a successful restore), or null when there is none. */
function afterMark(stdout: string): string | null {
  const line = `${RESTORED_MARK}\n`;
  if (stdout.startsWith(line)) return stdout.slice(line.length);
  const at = stdout.indexOf(`\n${line}`);
  return at < 0 ? null : stdout.slice(at + 1 + line.length);
}

async function attempt<T>(
  part: ApplyFailure['part'],
  work: () => Promise<PartOutcome<T>>,
): Promise<PartOutcome<T> & { readonly failures: readonly ApplyFailure[] }> {
  try {
    const outcome = await work();
    return { ...outcome, failures: outcome.error === null ? [] : [{ part, error: outcome.error }] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { error: message, failures: [{ part, error: message }] };
  }
}

/** An `ip -batch` part: each refused line is a failure of its own, the other lines stand. */
async function attemptBatch<T>(
  part: ApplyFailure['part'],
  work: () => Promise<BatchOutcome<T>>,
): Promise<BatchOutcome<T> & { readonly failures: readonly ApplyFailure[] }> {
  try {
    const outcome = await work();
    return { ...outcome, failures: outcome.errors.map((error) => ({ part, error })) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { errors: [message], applied: [], failures: [{ part, error: message }] };
  }
}

/**
 * Carries a plan out: one iptables-restore transaction for every iptables change, one
 * `ip -force -batch` per target, the Corefile by atomic replace followed by one SIGUSR1. Each
 * exec also reads its part back, for verify.
 * Parts are independent, and so are the lines of a batch: a failure leaves the rest applied and
 * is returned, not thrown; `applied` lists only what was carried out.
 */
export async function applyPlan(
  plan: Plan,
  targets: CellTargets,
  layout: LayoutConfig,
  backend: IptablesBackend | null = null,
): Promise<ApplyResult> {
  const iptables = plan.actions.filter(isIptables);
  const routing = plan.actions.filter(isRouting);
  const addresses = plan.actions.filter(isAddress);
  const corefile = plan.actions.filter(isCorefile).at(-1);
  const reload = corefile !== undefined || targets.dns.reloadPending;
  const routingBatch = compileIpBatch(routing);
  const addressBatch = compileIpBatch(addresses);
  const wireguard = targets.wireguard;
  const caddy = targets.caddy;

  // The wireguard target gets its firewall first, then its routes; caddy and dns in parallel.
  const wireguardWork = (async () => {
    const firewall = await attempt('iptables', () => applyIptables(wireguard, iptables, backend));
    const routes = await attemptBatch('routing', () =>
      applyIpBatch(wireguard, routingBatch, {
        flags: ['-4', '-j'],
        show: ROUTING_SHOW,
        parse: (out) => parseRoutingOutput(wireguard.locator, out),
      }),
    );
    return [firewall, routes] as const;
  })();
  let written = false;
  const [[firewall, routes], vips, dns] = await Promise.all([
    wireguardWork,
    attemptBatch('addresses', () =>
      applyIpBatch(caddy, addressBatch, {
        flags: ['-j'],
        show: addressShow(layout.caddyInterface),
        parse: (out) => parseAddressOutput(caddy.locator, out, layout.caddyInterface),
      }),
    ),
    attempt('corefile', async (): Promise<PartOutcome<never>> => {
      if (corefile !== undefined) {
        await writeFileAtomic(targets.corefilePath, corefile.text);
        written = true;
      }
      if (reload) await targets.dns.reload();
      return NOTHING_WRITTEN;
    }),
  ]);
  const restored = iptables.length > 0 && firewall.error === null;
  const signalled = reload && dns.error === null;
  return {
    counts: {
      restores: restored ? 1 : 0,
      ipBatches: [routes, vips].filter((b) => b.applied.length > 0).length,
      fileWrites: written ? 1 : 0,
      signals: signalled ? 1 : 0,
    },
    applied: [
      ...(restored ? iptables : []),
      ...routes.applied,
      ...vips.applied,
      ...(written && corefile !== undefined ? [corefile] : []),
    ],
    failures: [...firewall.failures, ...routes.failures, ...vips.failures, ...dns.failures],
    touched: {
      iptables: iptables.length > 0,
      routing: routingBatch !== null,
      addresses: addressBatch !== null,
      corefile: corefile !== undefined,
    },
    readback: {
      ...(firewall.readback === undefined
        ? {}
        : { iptables: firewall.readback.iptables, backend: firewall.readback.backend }),
      ...(routes.readback === undefined ? {} : routes.readback),
      ...(vips.readback === undefined ? {} : { addresses: vips.readback }),
    },
  };
}
