import { constants } from 'node:fs';
import { mkdir, open, unlink } from 'node:fs/promises';
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
  await writeFileAtomic(join(statusDir, MARKER_FILE), `${JSON.stringify(marker)}\n`, { privateMode: PRIVATE_MODE });
}

/** The window's files hold the whole ruleset and decide what a root process restores: ours alone. */
export const PRIVATE_MODE = 0o600;

/**
 * A window file's text, or null when there is none, or when it is not one of ours: a symlink, not
 * a regular file, another owner, or writable by group or others (the status folder may sit in a
 * checkout from git; a file planted there must never become a restore). Such a file is ignored.
 */
export async function readOwnFile(path: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return null;
    throw error;
  }
  try {
    const info = await handle.stat();
    const ours = info.isFile() && info.uid === process.getuid?.() && (info.mode & 0o077) === 0;
    return ours ? await handle.readFile('utf8') : null;
  } finally {
    await handle.close();
  }
}

/** The open window's marker, null when there is none; throws on a damaged one (file and reason). */
export async function readMarker(statusDir: string): Promise<WindowMarker | null> {
  const path = join(statusDir, MARKER_FILE);
  const text = await readOwnFile(path);
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: /: invalid JSON: ${(error as Error).message}`);
  }
  const parsed = markerSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `${path}: /${parsed.error.issues[0]?.path.join('/') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  return parsed.data;
}

export async function removeMarker(statusDir: string): Promise<void> {
  await unlink(join(statusDir, MARKER_FILE)).catch(() => undefined);
  await unlink(join(statusDir, CONFIRMATION_FILE)).catch(() => undefined);
}

/** Whether the confirmation file names this window. */
export async function isConfirmed(statusDir: string, id: string): Promise<boolean> {
  const text = await readOwnFile(join(statusDir, CONFIRMATION_FILE)).catch(() => null);
  return text !== null && text.trim() === id;
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
