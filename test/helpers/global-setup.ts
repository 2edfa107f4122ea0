import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopSuiteDaemon } from './suite-daemon.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's folder: the lock, PID and log of a dockerd the run started (suite-daemon.ts). */
    pictRunDir: string;
  }
}

/**
 * vitest's global setup, once per run in the main process: whatever the test files start for
 * the whole run (today: a dockerd when none answered) is stopped here, after the last file,
 * however many files started at once and whether or not they passed.
 */
export default function setup(project: TestProject): () => Promise<void> {
  const runDir = mkdtempSync(join(tmpdir(), 'pict-run-'));
  project.provide('pictRunDir', runDir);
  return async () => {
    const stopped = await stopSuiteDaemon(runDir);
    if (stopped !== null) console.log(`[teardown] stopped the dockerd this run started (pid ${stopped})`);
    rmSync(runDir, { recursive: true, force: true });
  };
}
