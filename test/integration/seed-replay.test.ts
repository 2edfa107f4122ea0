import { describe, expect, it } from 'vitest';
import { nsRunOk } from '../../src/testbed/netns.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { replaySeedOnTestbed } from '../helpers/replay-seed.js';
import { readRecording } from '../helpers/seed-recording.js';
import { liveRules, useTestbed } from '../helpers/testbed.js';

/**
 * The recording of the old module (test/fixtures/seed/) stands in for it only where it holds:
 * it replays for the state it was recorded for, and refuses another state or a cell that does
 * not start where the recorded one did, rather than leaving a different cell.
 */

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

describe('replaying the recorded old module', () => {
  const suite = useTestbed(ready);

  it('refuses a state it was not recorded for, and changes nothing', async () => {
    const { state, bed } = suite;
    const before = await liveRules(bed.cell.wg);
    const moved = {
      ...state,
      peers: state.peers.map((p, i) => (i === 0 ? { ...p, internet_access: !p.internet_access } : p)),
    };
    await expect(replaySeedOnTestbed(bed.cell, moved, bed.corefilePath)).rejects.toThrow(
      'the recording is for another state or testbed; re-record it with scripts/record-seed.sh',
    );
    expect(await liveRules(bed.cell.wg)).toBe(before);
  });

  it('replays every recorded call on a fresh cell, then refuses a cell that already holds its rules', async () => {
    const { state, bed } = suite;
    const { recording } = await readRecording();
    const run = await replaySeedOnTestbed(bed.cell, state, bed.corefilePath);
    expect(run.calls).toHaveLength(recording.calls.length);
    expect(await nsRunOk(bed.cell.wg, ['iptables-save'])).toContain('--comment "pic-peer-10-0-0-2/32"');
    // Its VIPs and rules are there now, so the recorded calls no longer take the path they took (an address is added twice).
    await expect(replaySeedOnTestbed(bed.cell, state, bed.corefilePath)).rejects.toThrow(/^call \d+: \d+ docker exec /);
  });
});
