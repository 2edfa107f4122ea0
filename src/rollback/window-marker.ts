import { constants } from 'node:fs';
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../apply/write-file-atomic.js';

/**
 * An open confirm window is a file in the status folder: its state, the process that watches it
 * (see confirm-window.ts for the state machine), when it closes, and the snapshot to go back to.
 * It outlives a SIGKILL, so the next `run` or `apply` finds it (settle-stale-window.ts).
 * `pic-reconciler confirm` answers with a request file naming the window, and the window
 * answers back with a result file (window-record.ts).
 */
export const MARKER_FILE = 'confirm-window.json';

const snapshotSchema = z.object({
  takenAt: z.string(),
  peerSubnet: z.string(),
  iptablesSave: z.string(),
  routing: z.string(),
  addresses: z.string(),
  corefile: z.string().nullable(),
});

export const processSchema = z.object({
  pid: z.number().int().positive(),
  start: z.string(),
  boot: z.string(),
  pidNamespace: z.string(),
});

/** armed: the apply may be running; applied: open for confirmation; the others: decided, rolling back (confirm-window.ts). */
export const windowStates = ['armed', 'applied', 'expired', 'terminated', 'abandoned'] as const;
export type WindowState = (typeof windowStates)[number];

const markerSchema = z.object({
  /** Random per window, so a confirmation left from an earlier window confirms nothing. */
  id: z.string().regex(/^[0-9a-f]{32}$/),
  /** The process that watches the window: pid, start time, boot and pid namespace, so a reused pid is not it. */
  process: processSchema,
  /** The wireguard locator of the cell the snapshot is of: a window of another cell is never answered or rolled back here. */
  cell: z.string(),
  state: z.enum(windowStates),
  opened: z.string(),
  /** Wall-clock time the window closes, for people; null until applied. */
  closes: z.string().nullable(),
  /** The deadline on the monotonic clock (window-clock.ts), which decides; null until applied. */
  deadline: z.object({ boot: z.string(), monotonicMs: z.number() }).nullable(),
  snapshot: snapshotSchema,
});

export type WindowMarker = z.infer<typeof markerSchema>;

export async function writeMarker(statusDir: string, marker: WindowMarker): Promise<void> {
  await mkdir(statusDir, { recursive: true });
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

/** A window file parsed by its schema, null when absent or not ours; throws naming file and field on a damaged one. */
export async function readOwnJson<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
  const text = await readOwnFile(path);
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: /: invalid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `${path}: /${parsed.error.issues[0]?.path.join('/') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  return parsed.data;
}

/** The open window's marker, null when there is none; throws on a damaged one (file and reason). */
export function readMarker(statusDir: string): Promise<WindowMarker | null> {
  return readOwnJson(join(statusDir, MARKER_FILE), markerSchema);
}

/** Unlinks the marker; true once it is gone (unlink needs no free space, only a writable folder). */
export async function removeMarker(statusDir: string): Promise<boolean> {
  try {
    await unlink(join(statusDir, MARKER_FILE));
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
