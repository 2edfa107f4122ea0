import { describe, expect, it } from 'vitest';
import { colourPlanText, wantsColour } from '../../../src/cli/plan-colour.js';

describe('plan colour', () => {
  it('colours action and detail lines by their marker and leaves every other line alone', () => {
    const text =
      'wireguard iptables:\n  + chain filter A  # missing\n      - -A A -j DROP\n  ~ Corefile  # 2 lines differ\n\nPlan: 1 to add, 1 to change, 0 to destroy.\n';
    expect(colourPlanText(text)).toBe(
      'wireguard iptables:\n\u001b[32m  + chain filter A  # missing\u001b[0m\n\u001b[31m      - -A A -j DROP\u001b[0m\n\u001b[33m  ~ Corefile  # 2 lines differ\u001b[0m\n\nPlan: 1 to add, 1 to change, 0 to destroy.\n',
    );
  });

  it('only on a terminal, never with NO_COLOR set or TERM=dumb', () => {
    expect(wantsColour({ isTTY: true }, {})).toBe(true);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '' })).toBe(true); // no-color.org: set and not empty
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(wantsColour({ isTTY: false }, {})).toBe(false);
    expect(wantsColour({}, {})).toBe(false);
  });
});
