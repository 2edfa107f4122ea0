import { describe, expect, it } from 'vitest';
import { planCorefile } from '../../../src/plan/plan-corefile.js';

const text = '. {\n    forward . 8.8.8.8\n}\ncell {\n    file /data/cell.zone\n}\n';

describe('planCorefile', () => {
  it('writes a missing file', () => {
    expect(planCorefile(text, null)).toEqual([
      { kind: 'write-corefile', text, previous: null, reason: 'file missing' },
    ]);
  });

  it('writes when the text differs and counts the lines', () => {
    const previous = text.replace('8.8.8.8', '1.1.1.1');
    expect(planCorefile(text, previous)).toEqual([
      { kind: 'write-corefile', text, previous, reason: '2 lines differ' },
    ]);
  });

  it('does nothing when the text is the same, byte for byte', () => {
    expect(planCorefile(text, text)).toEqual([]);
    expect(planCorefile(text, text.trimEnd())).toHaveLength(1);
  });
});
