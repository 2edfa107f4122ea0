import type { DesiredState } from '../model/desired-state.js';
import { createDockerCell } from './docker-cell.js';
import { reconcilePass, type PassRun } from './measure-reconcile.js';

export interface DockerRuns {
  readonly full: PassRun;
  readonly noop: readonly PassRun[];
  /** The middle peer's internet access flipped, then flipped back. */
  readonly change: readonly PassRun[];
}

/** The state with one peer's internet access flipped: what a one-peer edit loads as. */
export function withOnePeerChanged(state: DesiredState): DesiredState {
  const middle = Math.floor(state.peers.length / 2);
  return {
    ...state,
    peers: state.peers.map((peer, i) => (i === middle ? { ...peer, internet_access: !peer.internet_access } : peer)),
  };
}

/** A full converge into fresh containers, no-op passes, and one-peer changes: `docker exec` calls per reconcile. */
export async function measureDocker(state: DesiredState, image: string, runs: number): Promise<DockerRuns> {
  const cell = await createDockerCell(image);
  try {
    const full = await reconcilePass(state, cell);
    const noop: PassRun[] = [];
    for (let r = 0; r < runs; r++) noop.push(await reconcilePass(state, cell));
    const changed = withOnePeerChanged(state);
    const change = [await reconcilePass(changed, cell), await reconcilePass(state, cell)];
    return { full, noop, change };
  } finally {
    await cell.dispose();
  }
}
