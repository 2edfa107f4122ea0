import { readFileSync, readlinkSync } from 'node:fs';

/**
 * A process as the kernel knows it: a pid alone is reused (after a reboot, or once the pid space
 * wraps), so a record names the process by its pid, its start time (clock ticks since boot,
 * /proc/PID/stat field 22), the boot it ran in and its pid namespace (a pid read in another
 * namespace names another process).
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly start: string;
  readonly boot: string;
  readonly pidNamespace: string;
}

export type Liveness = 'alive' | 'gone' | 'unknown';

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Field 22 of /proc/PID/stat; the command name (field 2) may hold spaces and parentheses, so count from the last `)`. */
function startTime(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

export function bootId(): string {
  return readText('/proc/sys/kernel/random/boot_id')?.trim() ?? 'unknown';
}

function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return 'unknown';
  }
}

export function ownIdentity(): ProcessIdentity {
  return {
    pid: process.pid,
    start: startTime(process.pid) ?? 'unknown',
    boot: bootId(),
    pidNamespace: pidNamespace(),
  };
}

/**
 * Whether the process a record names still runs. `unknown` when it cannot be told from here
 * (another pid namespace: a controller in a container of its own), which a caller must treat
 * as alive: a live writer is never taken for a dead one.
 */
export function liveness(identity: ProcessIdentity): Liveness {
  if (identity.boot !== bootId()) return 'gone';
  if (identity.pidNamespace !== pidNamespace() || identity.start === 'unknown') return 'unknown';
  return startTime(identity.pid) === identity.start ? 'alive' : 'gone';
}
