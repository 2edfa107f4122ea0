import { isDeepStrictEqual } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { seedRegistry } from './run-seed.js';
import {
  callLine,
  cellChanges,
  containerNamespace,
  readRecording,
  seedInput,
  snapshotCell,
  type SeedCall,
} from './seed-recording.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { run } from '../../src/testbed/netns.js';
import type { TestbedCell } from '../../src/testbed/testbed-cell.js';

const RERECORD = 'the recording is for another state or testbed; re-record it with scripts/record-seed.sh';

export interface SeedRun {
  /** Every `docker` call the old module made, as `<exit code> docker <argv>`. */
  readonly calls: readonly string[];
  readonly durationMs: number;
}

/**
 * Sets the testbed cell up as the old module did when recorded (seed-recording.ts): its `docker
 * exec` calls are issued again, in order, in the namespaces they map to, each with the exit code
 * it had then (its `iptables -C` probes included, so the replay takes the module's own path),
 * and the Corefile it wrote is written to corefilePath. Throws unless the cell then differs from
 * before exactly as it did when recorded.
 */
export async function replaySeedOnTestbed(
  cell: TestbedCell,
  state: DesiredState,
  corefilePath: string,
): Promise<SeedRun> {
  const { recording, corefile } = await readRecording();
  const input = seedInput(state, seedRegistry(state), cell.apiIp);
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(input)), recording.input)) throw new Error(RERECORD);
  const before = await snapshotCell(cell);
  const started = performance.now();
  for (const [i, call] of recording.calls.entries()) await replayCall(cell, call, i);
  await writeFile(corefilePath, corefile);
  const durationMs = performance.now() - started;
  const changes = cellChanges(before, await snapshotCell(cell));
  if (!isDeepStrictEqual(changes, recording.changes))
    throw new Error(`the replay left the cell unlike the old module did:\n${JSON.stringify(changes, null, 1)}`);
  return { calls: recording.calls.map(callLine), durationMs };
}

async function replayCall(cell: TestbedCell, call: SeedCall, index: number): Promise<void> {
  const [verb, ...rest] = call.argv;
  // `inspect` (the api address, checked with the input) and `kill` (no CoreDNS here) change nothing in the cell.
  if (verb !== 'exec') return;
  const args = rest[0] === '-i' ? rest.slice(1) : rest;
  const ns = containerNamespace(cell, args[0]);
  if (ns === null) throw new Error(`call ${index}: no namespace for ${callLine(call)}`);
  const result = await run(['ip', 'netns', 'exec', ns, ...args.slice(1)], call.stdin);
  if (result.code !== call.exit)
    throw new Error(`call ${index}: ${callLine(call)} exited ${result.code}: ${result.stderr.trim()}; ${RERECORD}`);
}
