import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isTempFileName } from './temp-file-name.js';

/** A temp file this old belongs to a write that will never finish (a crash, or a folder that was read-only). */
export const STALE_TEMP_MS = 5 * 60_000;

/**
 * Removes the temp files an interrupted atomic write of `name` left in `folder`: only regular
 * files with exactly our temp name, owned by us and untouched for STALE_TEMP_MS. Entries are
 * examined with lstat and removed with unlink, neither of which follows a link, so a link planted
 * at such a name is left alone and nothing outside the folder is touched. Best effort: a sweep
 * that fails only leaves a file behind. Returns the names removed.
 */
export async function sweepStaleTemps(folder: string, name: string, now: number): Promise<string[]> {
  const uid = process.getuid?.();
  const entries = await readdir(folder).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const entry of entries) {
    if (!isTempFileName(name, entry)) continue;
    const path = join(folder, entry);
    const info = await lstat(path).catch(() => null);
    if (
      info === null ||
      !info.isFile() ||
      (uid !== undefined && info.uid !== uid) ||
      now - info.mtimeMs < STALE_TEMP_MS
    )
      continue;
    if (
      await unlink(path).then(
        () => true,
        () => false,
      )
    )
      removed.push(entry);
  }
  return removed;
}
