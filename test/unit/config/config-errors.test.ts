import { describe, expect, it } from 'vitest';
import { parseControllerConfig } from '../../../src/config/controller-config.js';
import { parseStateFile } from '../../../src/load/parse-state-file.js';
import { formatIssue } from '../../../src/text/state-issue.js';

/** A config file's error reads as a state file's: `FILE: /POINTER: message`, broken JSON with line and column. */
describe('controller config errors', () => {
  const error = (text: string, file = 'c.json') => {
    const parsed = parseControllerConfig(text, file);
    if (parsed.ok) throw new Error('expected an error');
    return parsed.error;
  };

  it('broken JSON names line and column, not a character offset', () => {
    expect(error('{\n  "listen": "127.0.0.1:9470",\n  "api_port": 3000\n  "debounce_ms": 50\n}')).toBe(
      "c.json: /: invalid JSON at line 4 column 3: Expected ',' or '}' after property value",
    );
  });

  it('says exactly what a state file with the same text says', () => {
    for (const text of ['{"a": 1,\n}', '', '{"kind": Peer -j ACCEPT\n}', '\uFEFF{\n  "x" 1}']) {
      const state = parseStateFile('f.json', text);
      if (state.ok) throw new Error('expected the state file to fail');
      expect(error(text, 'f.json')).toBe(state.issues.map(formatIssue).join('\n'));
    }
  });

  it('stays one line and escapes a hostile file name and key', () => {
    expect(error('{"x": 1,}', 'bad\nname.json')).toBe(
      'bad\\nname.json: /: invalid JSON at line 1 column 9: Expected double-quoted property name',
    );
    expect(error(JSON.stringify({ 'a\u001b[31m': 1 }))).toBe('c.json: /: Unrecognized key: "a\\u001b[31m"');
  });

  it('schema errors keep their pointer, and a BOM is not an error', () => {
    expect(error('{"interfaces": {"wireguard": 7}}')).toBe(
      'c.json: /interfaces/wireguard: Invalid input: expected string, received number',
    );
    expect(parseControllerConfig('\uFEFF{"api_port": 3001}', 'c.json')).toMatchObject({
      ok: true,
      config: { api_port: 3001 },
    });
  });
});
