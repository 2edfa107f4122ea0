import type { LoadedState } from './loaded-state.js';
import { readStateDir } from './read-state-dir.js';
import { validateState, type ValidateOptions } from './validate-state.js';

/** Reads and validates the state directory; never rejects for bad input (see LoadedState.issues). */
export async function loadState(dir: string, options: ValidateOptions = {}): Promise<LoadedState> {
  return validateState(await readStateDir(dir), options);
}
