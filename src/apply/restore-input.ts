import { BUILTIN_CHAINS, TABLES } from '../model/iptables.js';
import type { IptablesAction } from '../model/plan.js';

/**
 * One `iptables-restore --noflush` input for every iptables action of a plan, both
 * tables, so the whole change is one atomic transaction (the seed's legacy rules go
 * in the same one as our new chains).
 *
 * Per table, in Felix's order: declare new chains, fill them, edit changed chains,
 * then the built-in chains (deletions by spec, then jumps at position 1: never a delete by rule number), and last the
 * removed chains: all flushed before any is deleted, so none is deleted while a rule
 * still jumps to it. `COMMIT` only for a table that got lines; null when there is
 * nothing to do, so no process starts at all.
 */
export function compileRestoreInput(actions: readonly IptablesAction[]): string | null {
  const lines: string[] = [];
  for (const table of TABLES) {
    const body = tableLines(actions.filter((a) => a.table === table));
    if (body.length > 0) lines.push(`*${table}`, ...body, 'COMMIT');
  }
  return lines.length === 0 ? null : `${lines.join('\n')}\n`;
}

function tableLines(actions: readonly IptablesAction[]): string[] {
  const declare: string[] = [];
  const fill: string[] = [];
  const edit: string[] = [];
  const removeRules: string[] = [];
  const insertJumps: string[] = [];
  const flush: string[] = [];
  const remove: string[] = [];
  for (const action of actions) {
    switch (action.kind) {
      case 'create-chain':
        declare.push(`:${action.chain} - [0:0]`);
        fill.push(...action.rules.map((rule) => withRule(`-A ${action.chain}`, rule)));
        break;
      case 'update-chain':
        // Rule numbers hold only in our own chains, under the cell lock: Docker and wg-quick also
        // write the built-in ones, so a number observed there may name their rule by apply time.
        // Deleting by number there could remove their rule; an insert at a number (a rollback
        // putting ours back among theirs) removes nothing, and verify reads where it landed.
        if (BUILTIN_CHAINS[action.table].includes(action.chain) && action.edits.some((e) => e.op === 'delete')) {
          throw new Error(`${action.table}/${action.chain}: refusing to delete from a built-in chain by rule number`);
        }
        for (const e of action.edits)
          edit.push(
            e.op === 'delete' ? `-D ${action.chain} ${e.index}` : withRule(`-I ${action.chain} ${e.index}`, e.rule),
          );
        break;
      case 'delete-rule':
        removeRules.push(withRule(`-D ${action.chain}`, action.rule));
        break;
      case 'insert-jump':
        insertJumps.push(withRule(`-I ${action.chain} 1`, action.rule));
        break;
      case 'delete-chain':
        flush.push(`-F ${action.chain}`);
        remove.push(`-X ${action.chain}`);
        break;
    }
  }
  return [...declare, ...fill, ...edit, ...removeRules, ...insertJumps, ...flush, ...remove];
}

function withRule(command: string, rule: string): string {
  return rule === '' ? command : `${command} ${rule}`;
}

/** The text of line `n` (1-based, as iptables-restore and `ip -batch` number their input), or null. */
export function restoreLineAt(input: string, n: number): string | null {
  if (!Number.isInteger(n) || n < 1) return null;
  const lines = input.endsWith('\n') ? input.slice(0, -1).split('\n') : input.split('\n');
  return lines[n - 1] ?? null;
}
