import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseConfigFile, describeConfigChoice, SYSTEM_CONFIG_FILE } from '../../../src/config/controller-config.js';

/** Config discovery: --config > $PIC_CONFIG > the system file when it exists > built-in defaults. */
describe('chooseConfigFile', () => {
  let dir = '';
  let system = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `pict-${process.pid}-config-`));
    system = join(dir, 'config.json');
    await writeFile(system, '{}');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('takes the flag first, then the variable, then the system file, then the defaults', async () => {
    expect(await chooseConfigFile('/a.json', '/b.json', system)).toEqual({ file: '/a.json', from: '--config' });
    expect(await chooseConfigFile(undefined, '/b.json', system)).toEqual({ file: '/b.json', from: 'PIC_CONFIG' });
    expect(await chooseConfigFile(undefined, '', system)).toEqual({ file: system, from: 'system' });
    expect(await chooseConfigFile(undefined, undefined, system)).toEqual({ file: system, from: 'system' });
    expect(await chooseConfigFile(undefined, undefined, join(dir, 'absent.json'))).toEqual({
      file: null,
      from: 'defaults',
    });
  });

  it('a system path that exists but cannot be listed is still chosen, so its error is shown, not hidden', async () => {
    // A path through a regular file fails with ENOTDIR, not ENOENT.
    const through = join(system, 'config.json');
    expect(await chooseConfigFile(undefined, undefined, through)).toEqual({ file: through, from: 'system' });
  });

  it('describes each choice for the line plan and apply print', () => {
    expect(describeConfigChoice({ file: null, from: 'defaults' })).toBe('built-in defaults');
    expect(describeConfigChoice({ file: SYSTEM_CONFIG_FILE, from: 'system' })).toBe('/etc/pic-reconciler/config.json');
    expect(describeConfigChoice({ file: '/x.json', from: 'PIC_CONFIG' })).toBe('/x.json ($PIC_CONFIG)');
    expect(describeConfigChoice({ file: '/x.json', from: '--config' })).toBe('/x.json (--config)');
  });
});
