import { mkdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../apply/write-file-atomic.js';

/**
 * An open confirm window is a file in the status folder: who holds it, when it closes, and the
 * snapshot to go back to. It outlives a SIGKILL, so the next `run` or `apply` finds it (see
 * settle-stale-window.ts). `pic-reconciler confirm` answers with a second file naming the window.
 */
export const MARKER_FILE = 'confirm-window.json';
export const CONFIRMATION_FILE = 'confirm-window.confirmed';

const snapshotSchema = z.object({
  takenAt: z.string(),
  peerSubnet: z.string(),
  iptablesSave: z.string(),
  routing: z.string(),
  addresses: z.string(),
  corefile: z.string().nullable(),
});

const markerSchema = z.object({
  /** Random per window, so a confirmation left from an earlier window confirms nothing. */
  id: z.string().regex(/^[0-9a-f]{32}$/),
  pid: z.number().int().positive(),
  /** The wireguard locator of the cell the snapshot is of: a window of another cell is never answered or rolled back here. */
  cell: z.string(),
  opened: z.string(),
  /** Null while the apply runs (the window is not open for confirmation yet). */
  closes: z.string().nullable(),
  snapshot: snapshotSchema,
});

export type WindowMarker = z.infer<typeof markerSchema>;

export async function writeMarker(statusDir: string, marker: WindowMarker): Promise<void> {
  await mkdir(statusDir, { recursive: true });
  await unlink(join(statusDir, CONFIRMATION_FILE)).catch(() => undefined);
  await writeFileAtomic(join(statusDir, MARKER_FILE), `${JSON.stringify(marker)}\n`);
}

/** The open window's marker, null when there is none; throws on a damaged one (file and reason). */
export async function readMarker(statusDir: string): Promise<WindowMarker | null> {
  const path = join(statusDir, MARKER_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: /: invalid JSON: ${(error as Error).message}`);
  }
  const parsed = markerSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${path}: /${parsed.error.issues[0]?.path.join('/') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export async function removeMarker(statusDir: string): Promise<void> {
  await unlink(join(statusDir, MARKER_FILE)).catch(() => undefined);
  await unlink(join(statusDir, CONFIRMATION_FILE)).catch(() => undefined);
}

/** Whether the confirmation file names this window. */
export async function isConfirmed(statusDir: string, id: string): Promise<boolean> {
  const text = await readFile(join(statusDir, CONFIRMATION_FILE), 'utf8').catch(() => '');
  return text.trim() === id;
}

/** True while the process that opened a window still runs (signal 0 checks without sending). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
