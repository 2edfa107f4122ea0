import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadState } from '../load/load-state.js';
import { formatIssue } from '../text/state-issue.js';
import type { DesiredState } from '../model/desired-state.js';
import { syntheticStateFiles, type CellSize } from './synthetic-state.js';
import { writeStateDir } from './write-state-dir.js';

/** Writes a synthetic cell as a state directory and loads it as the controller would. */
export async function writeSyntheticState(size: CellSize): Promise<{ dir: string; state: DesiredState }> {
  const dir = await mkdtemp(join(tmpdir(), `pic-bench-state-${size.peers}-${size.links}-`));
  await writeStateDir(dir, syntheticStateFiles(size));
  const loaded = await loadState(dir);
  if (loaded.state === null || loaded.issues.length > 0) {
    throw new Error(`synthetic state ${dir} is invalid: ${loaded.issues.slice(0, 3).map(formatIssue).join('; ')}`);
  }
  return { dir, state: loaded.state };
}
