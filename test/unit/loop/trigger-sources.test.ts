import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { StateFileCache } from '../../../src/loop/state-file-cache.js';
import { isOwnCorefileWrite, TriggerSources } from '../../../src/loop/trigger-sources.js';

describe('isOwnCorefileWrite', () => {
  test('only the exact text the last pass rendered is our own write', () => {
    expect(isOwnCorefileWrite({ ok: true, value: 'a\n' }, 'a\n')).toBe(true);
    expect(isOwnCorefileWrite({ ok: true, value: 'a\n# edited\n' }, 'a\n')).toBe(false);
    expect(isOwnCorefileWrite({ ok: true, value: null }, 'a\n')).toBe(false);
    expect(isOwnCorefileWrite({ ok: false, error: 'EACCES' }, 'a\n')).toBe(false);
    // Before any pass rendered one, every event is someone else's.
    expect(isOwnCorefileWrite({ ok: true, value: 'a\n' }, null)).toBe(false);
  });
});

describe('TriggerSources: Corefile events', () => {
  let work: string;
  let corefilePath: string;
  let triggers: string[];
  let busy: boolean;
  let sources: TriggerSources;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'pict-sources-'));
    corefilePath = join(work, 'Corefile');
    triggers = [];
    busy = false;
    sources = new TriggerSources({
      stateDir: work,
      corefilePath,
      config: { debounce_ms: 50, resync_seconds: 60 },
      docker: null,
      containers: [],
      files: new StateFileCache(work),
      sink: {
        trigger: (reason) => void triggers.push(reason),
        get busy() {
          return busy;
        },
      },
      logger: pino({ level: 'silent' }),
    });
  });

  afterEach(async () => {
    await sources.close();
    await rm(work, { recursive: true, force: true });
  });

  test("our own write triggers no pass; anyone else's does", async () => {
    await writeFile(corefilePath, 'rendered\n');
    sources.passFinished('rendered\n');
    await sources.checkCorefile();
    expect(triggers).toEqual([]);

    await writeFile(corefilePath, 'rendered\n# someone else\n');
    await sources.checkCorefile();
    expect(triggers).toEqual(['corefile']);
  });

  test('an event during a pass is checked once the pass has finished, against what it rendered', async () => {
    busy = true;
    await writeFile(corefilePath, 'new\n');
    await sources.checkCorefile();
    expect(triggers).toEqual([]);
    busy = false;
    await sources.passFinished('new\n');
    expect(triggers).toEqual([]);

    busy = true;
    await sources.checkCorefile();
    busy = false;
    await sources.passFinished('newer\n');
    expect(triggers).toEqual(['corefile']);
    // Nothing was pending any more.
    await sources.passFinished('newer\n');
    expect(triggers).toEqual(['corefile']);
  });
});
