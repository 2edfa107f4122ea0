import { constants, type Stats } from 'node:fs';
import { lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileOwner } from './folder-owner.js';
import { sweepStaleTemps } from './sweep-stale-temps.js';
import { tempFileName } from './temp-file-name.js';

/** The mode of a file that did not exist before, whatever the umask. */
const NEW_FILE_MODE = 0o644;
/** Only we can read the temp file until its final mode and owner are set. */
const TEMP_MODE = 0o600;
/** Exclusive create, never through a link: a name someone planted fails the open instead of redirecting it. */
const TEMP_FLAGS = constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_WRONLY;

/** The file at `path` now: a regular file, nothing, or a refusal (a link, a folder, a device). */
async function existing(path: string): Promise<Stats | null> {
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (info === null || info.isFile()) return info;
  // A link in a folder shared with another container may be planted: neither write through it nor take it over.
  const what = info.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
  throw new Error(`${path}: is ${what}; refusing to replace it (make it a regular file)`);
}

interface WriteOptions {
  readonly privateMode?: number;
  /** With `privateMode`: whose the file is instead of ours (root writing into a service account's folder). */
  readonly owner?: FileOwner;
}

/** The old file's owner and permission bits (never set-id bits), or a new file's 0644; `privateMode`: always ours (or `owner`'s), with that mode. */
async function carryOver(file: FileHandle, old: Stats | null, options: WriteOptions): Promise<void> {
  const { privateMode, owner } = options;
  if (privateMode !== undefined) {
    // By the handle, before the rename: a name in someone else's folder is never chowned.
    if (owner !== undefined) await file.chown(owner.uid, owner.gid);
    await file.chmod(privateMode);
    return;
  }
  if (old !== null && (old.uid !== process.getuid?.() || old.gid !== process.getgid?.())) {
    // Only root can give a file away; anyone else keeps the mode, and the file becomes theirs.
    await file.chown(old.uid, old.gid).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPERM' || process.getuid?.() === 0) throw error;
    });
  }
  await file.chmod(old === null ? NEW_FILE_MODE : old.mode & 0o777);
}

/**
 * Replaces a file so that readers see the old or the new content, never a mix: a temp file
 * with an unpredictable name, created exclusively in the same folder, written, given the old
 * file's owner and mode, fsynced, renamed over, then the folder fsynced. Any failure removes the
 * temp file; one that could not be removed (the folder went read-only) is swept by a later write
 * once it is stale. A `path` that is a symbolic link is refused, not followed. With `privateMode`
 * the file is the writer's own with that mode, whoever owned the old one (the status folder's
 * files: a file planted there must not keep its planter as owner).
 */
export async function writeFileAtomic(path: string, text: string, options: WriteOptions = {}): Promise<void> {
  const folder = dirname(path);
  await sweepStaleTemps(folder, basename(path), Date.now());
  const old = await existing(path);
  const temp = join(folder, tempFileName(basename(path)));
  const file = await open(temp, TEMP_FLAGS, TEMP_MODE);
  try {
    try {
      await file.writeFile(text, 'utf8');
      await carryOver(file, old, options);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  const dir = await open(folder, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
