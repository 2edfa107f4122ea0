import { unlink } from 'node:fs/promises';
import { applyPlan } from '../apply/apply-plan.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import type { Plan } from '../model/plan.js';
import { observeCell } from '../observe/observe-cell.js';
import { ownBackend } from '../parse/parse-iptables-backends.js';
import { parseSnapshot, type CellSnapshot } from './cell-snapshot.js';
import { planRestore } from './plan-restore.js';

export interface RestoreResult {
  readonly plan: Plan;
  /** True when a fresh observation afterwards plans nothing more and nothing was left out. */
  readonly restored: boolean;
  /** One line each: unreachable parts, failed writes, what could not be put back, a residual. */
  readonly errors: readonly string[];
  /** Someone else's entry that now stands where one of ours stood: kept, and said instead of "restored and verified". */
  readonly collisions: readonly string[];
}

const PARTS = { iptables: true, routing: true, addresses: true, corefile: true, facts: false } as const;

/**
 * Puts the snapshot back with the apply machinery, through the same backend choice as observe
 * and apply (a cell in the legacy tables is restored there): one iptables-restore for both tables, one
 * `ip -batch` per target, the Corefile by atomic rename (or removed, when there was none) and
 * one reload; then observes again and plans against the snapshot: restored means nothing is left.
 */
export async function restoreSnapshot(
  snapshot: CellSnapshot,
  targets: CellTargets,
  layout: LayoutConfig,
): Promise<RestoreResult> {
  const saved = parseSnapshot(snapshot, targets, layout);
  const { observed } = await observeCell(targets, layout, PARTS);
  const live = observed.backend === undefined ? null : ownBackend(observed.backend);
  if (observed.iptables.ok && live !== saved.backend) {
    const name = (backend: string | null): string => backend ?? 'the only';
    const error = `${targets.wireguard.locator}: the cell's rules are now in ${name(live)} iptables backend, the snapshot's in ${name(saved.backend)}: not restored`;
    return { plan: { actions: [], skipped: [] }, restored: false, errors: [error], collisions: [] };
  }
  const restore = planRestore(saved, observed, snapshot.peerSubnet, layout);
  const errors: string[] = [...restore.plan.skipped.map((s) => s.error), ...restore.unrestorable];
  if (restore.plan.actions.length > 0 || restore.removeCorefile) {
    const applied = await applyPlan(restore.plan, targets, layout, observed.backend?.writes ?? null);
    errors.push(...applied.failures.map((f) => f.error));
    if (restore.removeCorefile) {
      try {
        await unlink(targets.corefilePath);
        await targets.dns.reload();
      } catch (error) {
        errors.push(`${targets.corefilePath}: ${(error as Error).message}`);
      }
    }
  }
  const after = planRestore(saved, (await observeCell(targets, layout, PARTS)).observed, snapshot.peerSubnet, layout);
  const residual = after.plan.actions.length + (after.removeCorefile ? 1 : 0);
  if (residual > 0) errors.push(`not restored: ${residual} actions still pending after the rollback`);
  errors.push(...after.plan.skipped.map((s) => s.error).filter((e) => !errors.includes(e)));
  return { plan: restore.plan, restored: errors.length === 0, errors, collisions: after.collisions };
}
