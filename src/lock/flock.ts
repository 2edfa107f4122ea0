import { spawn } from 'node:child_process';

export type FlockOutcome = 'locked' | 'busy' | { readonly error: string };

/**
 * flock(2) on an open file, through util-linux's (or busybox's) `flock FD`: Node has no binding
 * for it, and a native addon would need a compiler on every install. The child locks the open
 * file description it shares with us and exits; the lock stays with that description, which
 * only we (and children we hand it to) hold, and the kernel drops it when the last of us exits.
 * Never waits; short options only, which busybox's flock also takes.
 */
export function tryFlock(fd: number): Promise<FlockOutcome> {
  return new Promise((resolve) => {
    const child = spawn('flock', ['-x', '-n', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr += chunk.slice(0, 1_000)));
    child.on('error', (error: NodeJS.ErrnoException) =>
      resolve({
        error: error.code === 'ENOENT' ? 'the flock program (util-linux) is not installed' : error.message,
      }),
    );
    child.on('close', (code) => {
      if (code === 0) resolve('locked');
      // Both flock(1)s exit 1 without a word when the lock is held.
      else if (code === 1 && stderr.trim() === '') resolve('busy');
      else resolve({ error: `flock exit ${code ?? 'signal'}: ${stderr.trim().split('\n')[0] ?? ''}` });
    });
  });
}
