import { lstat } from 'node:fs/promises';

export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

/**
 * The account a private file root makes in `folder` belongs to: the folder's owner when root
 * writes into a service account's folder (systemd's RuntimeDirectory), so the service can still
 * open what an `apply` by root left there; null otherwise (the file is the writer's own). Only
 * the lock uses it: its content is never trusted, while a window file of another account's (a
 * snapshot to restore) must never be, so those stay root's own.
 */
export async function folderOwnerForRoot(folder: string): Promise<FileOwner | null> {
  if (process.getuid?.() !== 0) return null;
  const info = await lstat(folder);
  return info.uid === 0 ? null : { uid: info.uid, gid: info.gid };
}
