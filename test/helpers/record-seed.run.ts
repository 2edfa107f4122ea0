import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { replaySeedOnTestbed } from './replay-seed.js';
import { DEFAULT_SEED_DIR, runSeedOnTestbed, seedRegistry } from './run-seed.js';
import {
  cellChanges,
  RECORDED_COREFILE,
  RECORDING_FILE,
  seedInput,
  snapshotCell,
  type SeedRecording,
} from './seed-recording.js';
import { createTestbed, loadValidState, type TestbedFixture } from './testbed.js';
import { cleanupNamespaces } from '../../src/testbed/netns.js';

/**
 * Not a test: scripts/record-seed.sh runs this (its own vitest config) to record what the old
 * module does to a fresh testbed cell for the repository's state, then checks that the recording
 * replays on a second fresh cell.
 */

const seedDir = resolve(process.env['PIC_SEED_DIR'] ?? DEFAULT_SEED_DIR);
const beds: TestbedFixture[] = [];
afterAll(async () => {
  await Promise.all(beds.map((bed) => bed.dispose()));
  await cleanupNamespaces();
});

it('records the old module on a namespace cell', async () => {
  if (!existsSync(join(seedDir, 'firewall_manager.py'))) throw new Error(`no firewall_manager.py in ${seedDir}`);
  if (spawnSync('python3', ['--version']).status !== 0) throw new Error('python3 is missing');
  const state = await loadValidState(resolve('state'));
  const bed = await createTestbed(state);
  beds.push(bed);
  const before = await snapshotCell(bed.cell);
  const calls = await runSeedOnTestbed(seedDir, bed.cell, state, bed.corefilePath);
  const changes = cellChanges(before, await snapshotCell(bed.cell));
  const commit = existsSync(join(seedDir, 'COMMIT.txt')) ? await readFile(join(seedDir, 'COMMIT.txt'), 'utf8') : '';
  const recording: SeedRecording = {
    recordedFrom: /\b([0-9a-f]{7,40} .*)$/m.exec(commit)?.[1] ?? 'unknown commit',
    input: seedInput(state, seedRegistry(state), bed.cell.apiIp),
    calls,
    changes,
  };
  await writeFile(RECORDING_FILE, `${JSON.stringify(recording, null, 2)}\n`);
  await writeFile(RECORDED_COREFILE, await readFile(bed.corefilePath, 'utf8'));

  const again = await createTestbed(state);
  beds.push(again);
  const replayed = await replaySeedOnTestbed(again.cell, state, again.corefilePath);
  expect(replayed.calls.length).toBe(calls.length);
  console.info(`recorded ${calls.length} calls from ${recording.recordedFrom} into ${RECORDING_FILE}`);
});
