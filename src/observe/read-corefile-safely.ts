import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** A Corefile is a few kilobytes; anything past this is not one. */
export const MAX_COREFILE_BYTES = 1024 * 1024;

/**
 * The Corefile's text, or null when there is none. Its folder is shared with the dns container,
 * so what sits at the path may have been planted: a symlink (to /etc/shadow) is refused, as the
 * write refuses it; a FIFO or device cannot hang or flood the read (non-blocking open, a regular
 * file only, a size bound).
 */
export async function readCorefileSafely(path: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new Error('is a symbolic link; refusing to read through it (make it a regular file)');
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error('is not a regular file');
    if (info.size > MAX_COREFILE_BYTES) throw new Error(`is larger than ${MAX_COREFILE_BYTES} bytes`);
    const buffer = Buffer.alloc(info.size + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > info.size) throw new Error('changed while being read');
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
