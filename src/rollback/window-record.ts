import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../apply/write-file-atomic.js';
import { PRIVATE_MODE, readOwnFile, readOwnJson } from './window-marker.js';

/**
 * The two files a window and `confirm` talk through, beside the marker. The request is
 * `confirm`'s (or the terminal's `y`, written by the window itself): while the marker says
 * `applied`, a request naming the window IS the confirmation, so one that reached the disk is
 * kept even if the window's process dies before it reads it. The result is the window's answer:
 * what it decided and did, so `confirm` prints what really happened.
 */
export const REQUEST_FILE = 'confirm-window.confirmed';
export const RESULT_FILE = 'confirm-window.result.json';

const resultSchema = z.object({
  id: z.string(),
  /** confirmed: the new state stays; rolled-back: restored and verified; rollback-incomplete: the marker stays. */
  outcome: z.enum(['confirmed', 'rolled-back', 'rollback-incomplete']),
  /** What ended the window: confirm, the terminal, the deadline, a signal, an apply that did not verify… */
  why: z.string(),
  at: z.string(),
  errors: z.array(z.string()),
});

export type WindowResult = z.infer<typeof resultSchema>;

export async function writeRequest(statusDir: string, id: string): Promise<void> {
  await writeFileAtomic(join(statusDir, REQUEST_FILE), `${id}\n`, { privateMode: PRIVATE_MODE });
}

/** Whether a request of ours names this window. */
export async function isRequested(statusDir: string, id: string): Promise<boolean> {
  const text = await readOwnFile(join(statusDir, REQUEST_FILE)).catch(() => null);
  return text !== null && text.trim() === id;
}

export async function writeResult(statusDir: string, result: WindowResult): Promise<void> {
  await writeFileAtomic(join(statusDir, RESULT_FILE), `${JSON.stringify(result)}\n`, { privateMode: PRIVATE_MODE });
}

/** The window's answer, when it names this window; null otherwise (none yet, another window's, damaged). */
export async function readResult(statusDir: string, id: string): Promise<WindowResult | null> {
  const result = await readOwnJson(join(statusDir, RESULT_FILE), resultSchema).catch(() => null);
  return result?.id === id ? result : null;
}

/** Before a new window: the files of an old one answer nothing. */
export async function clearRecords(statusDir: string): Promise<void> {
  await Promise.all([REQUEST_FILE, RESULT_FILE].map((name) => unlink(join(statusDir, name)).catch(() => undefined)));
}

export async function removeRequest(statusDir: string): Promise<void> {
  await unlink(join(statusDir, REQUEST_FILE)).catch(() => undefined);
}
