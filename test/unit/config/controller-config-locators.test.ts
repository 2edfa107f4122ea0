import { describe, expect, it } from 'vitest';
import { configFileJson, parseControllerConfig } from '../../../src/config/controller-config.js';
import { locatorText } from '../../../src/model/locator.js';
import { roleContainers } from '../../../src/targets/open-cell-targets.js';

describe('controller config locators', () => {
  it('parses each role once into a typed locator, defaults included', () => {
    const parsed = parseControllerConfig(
      JSON.stringify({ targets: { caddy: 'netns:pict-lan', api: 'ip:172.20.0.3', dns: 'none' } }),
      'c.json',
    );
    expect(parsed.ok && parsed.config.targets).toEqual({
      wireguard: { kind: 'docker', name: 'cell-wireguard' },
      caddy: { kind: 'netns', name: 'pict-lan' },
      api: { kind: 'ip', address: '172.20.0.3' },
      dns: { kind: 'none' },
    });
    expect(parsed.ok && roleContainers(parsed.config)).toEqual(['cell-wireguard']);
  });

  it('spells a parsed locator back as the text it came from', () => {
    for (const text of ['docker:cell-api', 'netns:a.b_c-1', 'local', 'ip:10.0.0.1']) {
      const parsed = parseControllerConfig(JSON.stringify({ targets: { api: text } }), 'c.json');
      expect(parsed.ok && locatorText(parsed.config.targets.api)).toBe(text);
    }
  });

  it('writes back as a config file that parses to the same config', () => {
    const parsed = parseControllerConfig(
      JSON.stringify({ targets: { wireguard: 'local', caddy: 'netns:pict-lan', api: 'ip:172.20.0.3', dns: 'none' } }),
      'c.json',
    );
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parseControllerConfig(JSON.stringify(configFileJson(parsed.config)), 'again.json')).toEqual(parsed);
  });

  it('refuses a locator its role cannot use, in one line naming the file and field', () => {
    const cases: [unknown, string][] = [
      [
        { caddy: 'ip:10.0.0.1' },
        'c.json: /targets/caddy: unknown target locator "ip:10.0.0.1" for caddy; expected docker:NAME, netns:NAME or local',
      ],
      [
        { api: 'none' },
        'c.json: /targets/api: unknown target locator "none" for api; expected docker:NAME, netns:NAME, local or ip:ADDR',
      ],
      [
        { api: 'ip:10.0.0.256' },
        'c.json: /targets/api: bad address in target locator "ip:10.0.0.256" for api; expected ip:a.b.c.d',
      ],
      [
        { wireguard: 'netns:x;reboot' },
        'c.json: /targets/wireguard: bad name in target locator "netns:x;reboot" for wireguard; NAME must match [A-Za-z0-9][A-Za-z0-9_.-]*',
      ],
      [{ dns: 42 }, 'c.json: /targets/dns: Invalid input: expected string, received number'],
    ];
    for (const [targets, error] of cases)
      expect(parseControllerConfig(JSON.stringify({ targets }), 'c.json')).toEqual({ ok: false, error });
  });
});
