import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { beforeAll, beforeEach } from 'vitest';

/** What an integration suite needs from the machine. */
export type Prerequisite =
  'root' | 'iptables' | 'ip' | 'dockerd' | 'docker' | 'busybox' | 'chromium' | 'sshd' | 'faketime';

const BINARIES: Record<Exclude<Prerequisite, 'root' | 'dockerd'>, string> = {
  iptables: 'iptables',
  ip: 'ip',
  docker: 'docker',
  busybox: 'busybox',
  // The status page's browser test (Debian's chromium package).
  chromium: 'chromium',
  // DOCKER_HOST=ssh:// against a local sshd (Debian's openssh-server).
  sshd: 'sshd',
  // A confirm window whose wall clock steps by years (Debian's faketime: libfaketime and its wrapper).
  faketime: 'faketime',
};

export interface PrerequisiteCheck {
  /** True when everything is there; suites guard their own setup hooks with it. */
  readonly ok: boolean;
  /** One line naming what is missing, or null. */
  readonly reason: string | null;
}

/**
 * Call at the top of an integration suite. When something is missing, the suite FAILS in CI
 * (CI set: see isCi) with a one-line reason, and is skipped with a printed reason anywhere else.
 */
export function requirePrerequisites(needed: readonly Prerequisite[]): PrerequisiteCheck {
  const missing = needed.filter((item) => !isPresent(item));
  if (missing.length === 0) return { ok: true, reason: null };
  return failOrSkip(`missing prerequisites: ${missing.map(describe).join(', ')}`);
}

/** The suite FAILS in CI (CI set, not `false`/`0`) with `reason`, and is skipped with the reason printed anywhere else. */
export function failOrSkip(reason: string): PrerequisiteCheck {
  if (isCi(process.env.CI)) {
    beforeAll(() => {
      throw new Error(reason);
    });
  } else {
    beforeAll(() => console.warn(`[integration] skipping suite: ${reason}`));
    beforeEach((context) => context.skip(reason));
  }
  return { ok: false, reason };
}

/** CI as most CI systems and people set it: any value but empty, `false` or `0` (`CI=1` counts). */
export function isCi(value: string | undefined): boolean {
  return value !== undefined && !['', 'false', '0'].includes(value.trim().toLowerCase());
}

function isPresent(item: Prerequisite): boolean {
  switch (item) {
    case 'root':
      return process.getuid?.() === 0;
    case 'dockerd':
      // A running daemon, or the binary the helpers can start one with.
      return existsSync('/var/run/docker.sock') || process.env.DOCKER_HOST !== undefined || onPath('dockerd');
    default:
      return onPath(BINARIES[item]);
  }
}

function describe(item: Prerequisite): string {
  return item === 'root'
    ? 'root (uid 0)'
    : item === 'dockerd'
      ? 'dockerd (no daemon socket, no binary)'
      : `${BINARIES[item]} (not on PATH)`;
}

function onPath(program: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
