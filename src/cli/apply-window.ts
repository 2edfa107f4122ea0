import { resolve } from 'node:path';
import { chooseConfigFile } from '../config/controller-config.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import { takeSnapshot } from '../rollback/cell-snapshot.js';
import { openConfirmWindow } from '../rollback/confirm-window.js';
import { escapeUntrusted } from '../text/escape-untrusted.js';
import type { CliValues } from './cli-values.js';

/** apply --confirm-within: 0 confirmed, this when rolled back and verified, 1 on any error. */
export const ROLLED_BACK_EXIT = 3;

export interface WindowOutcome {
  readonly exitCode: number;
  /** confirmed, expired, terminated or abandoned (the apply did not verify, or the window could not be recorded). */
  readonly end: string;
  /** Null when confirmed (nothing was restored). */
  readonly restored: boolean | null;
  readonly errors: readonly string[];
}

export interface ApplyWindow {
  /** After the apply: wait for a confirmation when it converged, else roll back at once. */
  close(converged: boolean): Promise<WindowOutcome>;
}

/** A path as the operator can paste it into a shell. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `pic-reconciler confirm` with absolute paths, so it works from any folder of another shell. */
async function confirmCommand(values: CliValues, stateDir: string): Promise<string> {
  const choice = await chooseConfigFile(values.config, process.env.PIC_CONFIG);
  // The system file is found again by discovery; a file named by flag or $PIC_CONFIG must be given.
  const config = choice.file !== null && choice.from !== 'system' ? ` --config ${shellWord(resolve(choice.file))}` : '';
  return `pic-reconciler confirm --state ${shellWord(resolve(stateDir))}${config}`;
}

/** One line on stderr; a terminal that is gone (SIGHUP) makes writes fail, which must not end the window. */
function note(line: string): void {
  try {
    process.stderr.write(`${escapeUntrusted(line)}\n`);
  } catch {
    // Nobody left to read it.
  }
}

/**
 * Snapshots the cell and opens the window before the apply (the caller holds the cell lock for
 * the whole window): from here a SIGTERM, SIGINT or SIGHUP cannot leave the new state unguarded.
 */
export async function openApplyWindow(
  values: CliValues,
  stateDir: string,
  statusDir: string,
  targets: CellTargets,
  layout: LayoutConfig,
  peerSubnet: string,
  seconds: number,
): Promise<ApplyWindow> {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const snapshot = await takeSnapshot(targets, layout, peerSubnet);
  const window = await openConfirmWindow({ snapshot, targets, layout, statusDir, print: note }).catch(
    (error: unknown) => {
      const why = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
      throw new Error(`could not record the confirm window in ${statusDir} (${why}): nothing was applied`);
    },
  );
  note(`confirm window: snapshot taken in ${statusDir}; applying (SIGTERM or Ctrl-C from here on rolls back)`);
  const command = await confirmCommand(values, stateDir);
  return {
    async close(converged) {
      const result = converged
        ? await window.wait({ seconds, confirmCommand: command, stdin: process.stdin })
        : await window.abandon();
      // Rolled back around someone else's entry is not "restored and verified": exit 1, naming it.
      const restored =
        result.restore === null ? null : result.restore.restored && result.restore.collisions.length === 0;
      const exitCode =
        result.end === 'confirmed' ? 0 : result.end !== 'abandoned' && restored === true ? ROLLED_BACK_EXIT : 1;
      const errors = [...result.errors, ...(result.restore?.errors ?? []), ...(result.restore?.collisions ?? [])];
      return { exitCode, end: result.end, restored, errors };
    },
  };
}
