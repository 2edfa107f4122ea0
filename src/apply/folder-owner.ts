import { lstat } from 'node:fs/promises';

export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

/**
 * The account a private file root writes into `folder` belongs to: the folder's owner when root
 * writes into a service account's folder (systemd's RuntimeDirectory and StateDirectory), so the
 * service can still read and replace what an `apply` by root left there; null otherwise (the
 * file is the writer's own). That account owns the folder, so it could write such files anyway.
 */
export async function folderOwnerForRoot(folder: string): Promise<FileOwner | null> {
  if (process.getuid?.() !== 0) return null;
  const info = await lstat(folder);
  return info.uid === 0 ? null : { uid: info.uid, gid: info.gid };
}
