import { describe, expect, it } from 'vitest';
import { parseControllerConfig } from '../../../src/config/controller-config.js';

describe('notify in the controller config', () => {
  it('is off by default, takes an http(s) webhook, and names the field of a bad one', () => {
    const parse = (json: unknown) => parseControllerConfig(JSON.stringify(json), 'config.json');
    expect(parse({})).toMatchObject({ ok: true, config: { notify: null } });
    expect(parse({ notify: { webhook: 'http://127.0.0.1:8080/hook' } })).toMatchObject({
      ok: true,
      config: { notify: { webhook: 'http://127.0.0.1:8080/hook' } },
    });
    const bad = parse({ notify: { webhook: 'file:///etc/passwd' } });
    expect(bad.ok).toBe(false);
    expect(bad.ok ? '' : bad.error).toMatch(/^config\.json: \/notify\/webhook: /);
    expect(parse({ notify: { webhook: 'http://x', extra: 1 } }).ok).toBe(false);
  });
});
