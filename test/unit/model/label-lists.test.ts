import { describe, expect, expectTypeOf, test } from 'vitest';
import { ACTION_KINDS, type Action } from '../../../src/model/plan.js';
import { PASS_RESULTS, TRIGGER_KINDS } from '../../../src/model/reconcile-labels.js';
import type { PassResult } from '../../../src/status/controller-status.js';

// The type assertions are checked by `npm run typecheck` (part of `npm test`).
describe('label lists in model/', () => {
  test('ACTION_KINDS names every Action kind, once', () => {
    expectTypeOf<(typeof ACTION_KINDS)[number]>().toEqualTypeOf<Action['kind']>();
    expect(new Set(ACTION_KINDS).size).toBe(ACTION_KINDS.length);
  });

  test('the status reports results from PASS_RESULTS; triggers are unique', () => {
    expectTypeOf<PassResult>().toEqualTypeOf<(typeof PASS_RESULTS)[number]>();
    expect(new Set(PASS_RESULTS).size).toBe(PASS_RESULTS.length);
    expect(new Set(TRIGGER_KINDS).size).toBe(TRIGGER_KINDS.length);
  });
});
