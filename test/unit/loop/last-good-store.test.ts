import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { openCellTargets } from '../../../src/targets/open-cell-targets.js';
import { controllerConfigSchema } from '../../../src/config/controller-config.js';
import { validateState } from '../../../src/load/validate-state.js';
import { Controller } from '../../../src/loop/controller.js';
import { LastGoodStore } from '../../../src/loop/last-good-store.js';
import { CELL, peer, stateFiles } from '../load/helpers.js';

const dirs: string[] = [];
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `pict-${process.pid}-lastgood-`));
  dirs.push(dir);
  return dir;
}
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('last-good store', () => {
  it('a missing file is simply nothing remembered; a written one reads back', async () => {
    const dir = await folder();
    const store = new LastGoodStore(dir);
    expect(await store.read()).toBeNull();
    expect(store.readError).toBeNull();
    const loaded = validateState(stateFiles({ 'cell.json': CELL, 'peers/a.json': peer('a', '10.0.0.2') }));
    expect(await store.write(loaded)).toBeNull();
    const again = new LastGoodStore(dir);
    expect((await again.read())?.fileResources.get('peers/a.json')).toEqual(['Peer/a']);
    expect(again.readError).toBeNull();
  });

  it('a corrupt file is dropped with its reason, logged once at start and shown in /status', async () => {
    const dir = await folder();
    await writeFile(join(dir, 'last-good.json'), '{"format": "pic-reconciler/loaded-state/v1", "files": ');
    const store = new LastGoodStore(dir);
    expect(await store.read()).toBeNull();
    expect(store.readError).toMatch(/last-good\.json: invalid JSON.*nothing remembered/);

    const lines: { msg: string; lastGoodError?: string }[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString('utf8')) as { msg: string }), done()),
    });
    const config = controllerConfigSchema.parse({
      // A namespace that does not exist: the startup pass observes nothing, and never the host.
      targets: {
        wireguard: `netns:pict-${process.pid}-absent`,
        caddy: `netns:pict-${process.pid}-absent`,
        api: 'ip:172.20.0.3',
        dns: 'none',
      },
      status_dir: dir,
      corefile: join(dir, 'Corefile'),
    });
    const stateDir = await folder();
    const controller = new Controller({
      stateDir,
      config,
      targets: openCellTargets(config),
      docker: null,
      containers: [],
      logger: pino(sink),
      allowMassDelete: false,
      serveHttp: false,
    });
    await controller.start();
    await controller.stop();
    const dropped = lines.filter((l) => l.msg === 'remembered last good state dropped');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]?.lastGoodError).toMatch(/last-good\.json: invalid JSON/);
    expect(controller.status().lastGoodError).toMatch(/last-good\.json: invalid JSON/);
  });
});
