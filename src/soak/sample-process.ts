import { execFileSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A soak measures retained memory, so each sample follows a full GC (no --expose-gc flag needed).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export interface MemorySample {
  readonly atSeconds: number;
  readonly rssMb: number;
  readonly heapUsedMb: number;
}

export function sampleMemory(startedAt: number): MemorySample {
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  return { atSeconds: Math.round((Date.now() - startedAt) / 1000), rssMb: mb(rss), heapUsedMb: mb(heapUsed) };
}

/** process.getActiveResourcesInfo() as counts by kind (timers, sockets, fs requests, child pipes). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Kinds that are more numerous in `after` than in `before`. */
export function grownResources(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const grown: Record<string, number> = {};
  for (const [kind, n] of Object.entries(after)) if (n > (before[kind] ?? 0)) grown[kind] = n - (before[kind] ?? 0);
  return grown;
}

/** This process's live children (`ps --ppid`), without the ps that lists them. */
export function childProcesses(): string[] {
  const out = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/\sps$/.test(line));
}
