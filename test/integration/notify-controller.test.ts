import { cp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../src/loop/controller.js';
import { conditionOf } from '../../src/status/controller-status.js';
import { createLogger } from '../../src/loop/logger.js';
import type { NotifyEvent } from '../../src/notify/notify-event.js';
import { cleanupNamespaces, nsRunOk } from '../../src/testbed/netns.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { createTestbed, loadValidState, type TestbedFixture } from '../helpers/testbed.js';
import { waitFor } from '../helpers/wait-for.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

describe('controller webhook events on a namespace cell, to a receiver on 127.0.0.1', () => {
  let bed: TestbedFixture;
  let stateDir = '';
  let controller: Controller | null = null;
  let receiver: Server;
  const events: NotifyEvent[] = [];
  /** While true the receiver never answers: a dead webhook. */
  let hang = false;
  const hanging: ServerResponse[] = [];

  const status = () => {
    if (controller === null) throw new Error('no controller');
    return controller.status();
  };
  const eventAfter = (since: number, name: NotifyEvent['event']): Promise<NotifyEvent> =>
    waitFor(`a ${name} event`, () => events.slice(since).find((e) => e.event === name) ?? null, 10_000);

  beforeAll(async () => {
    if (!ready.ok) return;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        events.push(JSON.parse(body) as NotifyEvent);
        if (hang) hanging.push(res);
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    bed = await createTestbed(await loadValidState('state'));
    stateDir = join(bed.workDir, 'state');
    await cp('state', stateDir, { recursive: true });
    const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/pic`;
    controller = new Controller({
      stateDir,
      config: { ...bed.config, resync_seconds: 3_600, notify: { webhook } },
      targets: bed.targets,
      docker: null,
      containers: [],
      logger: createLogger({ level: 'silent', pretty: false }),
      allowMassDelete: false,
    });
    await controller.start();
    await waitFor('the first converged pass', () => conditionOf(status(), 'Ready')?.status === 'True', 15_000);
  });
  afterAll(async () => {
    await controller?.stop();
    for (const res of hanging) res.destroy();
    receiver?.closeAllConnections();
    await new Promise((done) => receiver?.close(done));
    await bed?.dispose();
    await cleanupNamespaces();
  });

  it('sends file_broken when a state file breaks and file_recovered when it is fixed', async () => {
    const bob = join(stateDir, 'peers', 'bob.json');
    const text = await readFile(bob, 'utf8');
    let since = events.length;
    await writeFile(bob, text.slice(0, Math.floor(text.length / 2)));
    const broken = await eventAfter(since, 'file_broken');
    expect(Object.keys(broken).sort()).toEqual(['cell', 'details', 'event', 'reconcile', 'summary', 'time']);
    expect(broken).toMatchObject({ cell: 'home', details: { file: 'peers/bob.json', pointer: '' } });
    expect(broken.summary).toMatch(/^peers\/bob\.json: \/: invalid JSON/);
    // Held back, not failed: the pass that sent it is degraded, and no not_converged is sent for it.
    // (Found by its id: a plain writeFile can make two passes, and the last one need not be it.)
    expect(status().recentPasses.find((p) => p.id === broken.reconcile)?.result).toBe('degraded');
    since = events.length;
    await writeFile(bob, text);
    expect(await eventAfter(since, 'file_recovered')).toMatchObject({
      cell: 'home',
      details: { file: 'peers/bob.json' },
      summary: 'peers/bob.json is valid again',
    });
    expect(events.map((e) => e.event)).toEqual(['file_broken', 'file_recovered']);
  });

  it('sends drift_repaired when a rule is deleted by hand', async () => {
    const since = events.length;
    // `iptables -S` prints `-N` first, then each rule as `-A CHAIN spec`.
    const deleted = (await nsRunOk(bed.cell.wg, ['iptables', '-S', 'PIC-PEER-10-0-0-3']))
      .split('\n')[1]
      ?.replace(/^-A PIC-PEER-10-0-0-3 /, '');
    await nsRunOk(bed.cell.wg, ['iptables', '-D', 'PIC-PEER-10-0-0-3', '1']);
    controller?.trigger('resync');
    const repaired = await eventAfter(since, 'drift_repaired');
    expect(repaired).toMatchObject({
      cell: 'home',
      summary: '1 live change undone',
      details: { actions: { 'update-chain': 1 } },
    });
    // The event says what was put back: exactly the rule deleted by hand.
    expect(deleted).toMatch(/-j ACCEPT$/);
    expect(repaired.details['repairs']).toEqual([
      expect.objectContaining({ kind: 'update-chain', subject: 'filter/PIC-PEER-10-0-0-3', rules: [deleted] }),
    ]);
    expect(status().recentRepairs[0]).toMatchObject({
      kind: 'update-chain',
      subject: 'filter/PIC-PEER-10-0-0-3',
      reconcile: repaired.reconcile,
    });
  });

  it('keeps passing while the receiver hangs, and stop() gives up on it within its short deadline', async () => {
    hang = true;
    const bob = join(stateDir, 'peers', 'bob.json');
    const text = await readFile(bob, 'utf8');
    const since = events.length;
    await writeFile(bob, '{');
    await eventAfter(since, 'file_broken');
    // The receiver holds that request open; the next pass still runs and reports.
    await writeFile(bob, text);
    await waitFor(
      'the fix to be reported',
      () => status().fileErrors.length === 0 && conditionOf(status(), 'Ready')?.status === 'True',
      10_000,
    );
    const started = performance.now();
    await controller?.stop();
    controller = null;
    expect(performance.now() - started).toBeLessThan(4_000);
  });
});
