import { describe, expect, it } from 'vitest';
import { parseConfirmSeconds } from '../../../src/cli/confirm-seconds.js';

describe('parseConfirmSeconds', () => {
  it('is null without the flag, and whole seconds within 5-3600', () => {
    expect(parseConfirmSeconds(undefined, false)).toEqual({ ok: true, seconds: null });
    expect(parseConfirmSeconds(undefined, true)).toEqual({ ok: true, seconds: null });
    expect(parseConfirmSeconds('5', false)).toEqual({ ok: true, seconds: 5 });
    expect(parseConfirmSeconds('3600', false)).toEqual({ ok: true, seconds: 3600 });
  });
  it.each(['4', '3601', '0', '-5', '1.5', '1e2', ' 30', '30s', '', '99999999'])(
    'refuses %j in one line naming the flag',
    (value) => {
      const result = parseConfirmSeconds(value, false);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toMatch(
        /^--confirm-within .*(must be 5 to 3600 seconds|expected whole seconds, 5 to 3600)$/,
      );
    },
  );
  it('refuses it with --dry-run', () => {
    expect(parseConfirmSeconds('30', true)).toEqual({
      ok: false,
      error: expect.stringContaining('--confirm-within and --dry-run cannot go together'),
    });
  });
});
