import { lstat, mkdir, realpath } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';

const STICKY = 0o1000;

/**
 * Makes sure the lock folder is one no other local user can have made or can write: a real
 * folder (no symlink), mode 0700, owned by root or by us, under ancestors that only root (or
 * we) can change. A sticky ancestor (/tmp) is allowed, since nobody else can rename or remove
 * our folder in it. Root also accepts a folder given to another account (the service user of
 * the systemd unit or the image), but only where every ancestor is root's and not sticky: there
 * only root can have put it. Returns one line saying what is wrong, or null.
 */
export async function prepareLockFolder(folder: string): Promise<string | null> {
  if (!isAbsolute(folder)) return `${folder}: the lock folder must be an absolute path`;
  try {
    await mkdir(folder, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') return `${folder}: cannot create the lock folder: ${code ?? (error as Error).message}`;
  }
  const uid = process.getuid?.() ?? -1;
  try {
    const info = await lstat(folder);
    if (!info.isDirectory()) return `${folder}: the lock folder is not a folder (a symlink is refused)`;
    if ((info.mode & 0o077) !== 0)
      return `${folder}: the lock folder is open to group or others (mode ${(info.mode & 0o777).toString(8)}); it must be 0700`;
    const ancestors = await checkAncestors(dirname(await realpath(folder)), uid);
    if (ancestors.problem !== null) return ancestors.problem;
    const handedByRoot = uid === 0 && !ancestors.sticky;
    if (info.uid !== 0 && info.uid !== uid && !handedByRoot)
      return `${folder}: the lock folder belongs to uid ${info.uid}, not to root or to us`;
    return null;
  } catch (error) {
    return `${folder}: cannot check the lock folder: ${(error as Error).message}`;
  }
}

async function checkAncestors(
  start: string,
  uid: number,
): Promise<{ readonly problem: string | null; readonly sticky: boolean }> {
  let sticky = false;
  for (let path = start; ; path = dirname(path)) {
    const info = await lstat(path);
    if (info.uid !== 0 && info.uid !== uid)
      return { problem: `${path}: above the lock folder, belongs to uid ${info.uid}`, sticky };
    if ((info.mode & 0o022) !== 0) {
      if ((info.mode & STICKY) === 0)
        return { problem: `${path}: above the lock folder, is writable by group or others`, sticky };
      sticky = true;
    }
    if (path === dirname(path)) return { problem: null, sticky };
  }
}
