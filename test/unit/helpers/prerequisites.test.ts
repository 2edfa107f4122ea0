import { describe, expect, it } from 'vitest';
import { isCi } from '../../helpers/prerequisites.js';

describe('isCi', () => {
  it('counts every value CI systems set, CI=1 included', () => {
    for (const value of ['true', 'TRUE', '1', 'yes', 'github', ' true ']) expect(isCi(value), value).toBe(true);
  });
  it('does not count an unset, empty, false or 0 CI', () => {
    for (const value of [undefined, '', ' ', 'false', 'False', '0']) expect(isCi(value), String(value)).toBe(false);
  });
});
