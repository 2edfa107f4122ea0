import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../../../src/runtime/node-version-problem.js';

describe('nodeVersionProblem', () => {
  it('accepts 20.19 and newer, refuses older with one line naming both versions', () => {
    for (const ok of ['v20.19.0', 'v20.20.2', 'v22.1.0', 'v24.0.0']) expect(nodeVersionProblem(ok)).toBeNull();
    expect(nodeVersionProblem('v18.19.0')).toBe(
      'pic-reconciler needs Node 20.19.0 or newer; this is Node 18.19.0 (Debian 12 ships Node 18: install Node 20 or 22 from NodeSource or nodejs.org)',
    );
    expect(nodeVersionProblem('v20.18.3')).toContain('this is Node 20.18.3');
  });
});
