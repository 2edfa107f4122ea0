import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { serveStatus } from '../../src/http/serve-status.js';
import { Controller } from '../../src/loop/controller.js';
import { conditionOf, INITIAL_STATUS, type ControllerStatus } from '../../src/status/controller-status.js';
import { createLogger } from '../../src/loop/logger.js';
import { cleanupNamespaces, nsRunOk } from '../../src/testbed/netns.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { createTestbed, loadValidState, type TestbedFixture } from '../helpers/testbed.js';
import { waitFor } from '../helpers/wait-for.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip', 'chromium']);

/** Debian's chromium, headless, with nothing that reaches the network on its own. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Nothing but the controller on loopback is ever looked up.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];
const SCREENSHOT = resolve('test-results', 'status-page.png');
/** A state file name an attacker could commit: it must show as text, never become markup. */
const HOSTILE_NAME = '<img src=x onerror=alert(1)>.json';

describe('status page in a real headless Chromium against a controller on a namespace cell', () => {
  let bed: TestbedFixture;
  let stateDir = '';
  let profile = '';
  let controller: Controller | null = null;
  let context: BrowserContext | null = null;
  let page: Page;
  const problems: string[] = [];

  /** The rendered text of one section of the page. */
  const section = (id: string): Promise<string> => page.locator(`#${id}`).innerText();
  /** Waits until the page itself (polling /status, never reloaded) shows `text` in section `id`. */
  const shows = (id: string, text: string, timeoutMs = 10_000): Promise<true> =>
    waitFor(`the page's ${id} to show ${text}`, async () => (await section(id)).includes(text), timeoutMs);

  beforeAll(async () => {
    if (!ready.ok) return;
    bed = await createTestbed(await loadValidState('state'));
    stateDir = join(bed.workDir, 'state');
    await cp('state', stateDir, { recursive: true });
    controller = new Controller({
      stateDir,
      config: { ...bed.config, resync_seconds: 3_600 },
      targets: bed.targets,
      docker: null,
      containers: [],
      logger: createLogger({ level: 'silent', pretty: false }),
      allowMassDelete: false,
    });
    await controller.start();
    const started = controller;
    await waitFor('the first converged pass', () => conditionOf(started.status(), 'Ready')?.status === 'True', 15_000);
    profile = await mkdtemp(join(tmpdir(), 'pict-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    page = context.pages()[0] ?? (await context.newPage());
    // A CSP violation or a script error shows here: the page must run with none.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
  });
  afterAll(async () => {
    await context?.close();
    await controller?.stop();
    if (profile !== '') await rm(profile, { recursive: true, force: true });
    await bed?.dispose();
    await cleanupNamespaces();
  });

  it('renders the conditions and the last passes from /status', async () => {
    const response = await page.goto(`http://${controller?.listening() ?? ''}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/^default-src 'none'; script-src 'sha256-/);
    await shows('passes', 'startup');
    expect(await page.locator('#ready').innerText()).toBe('Ready');
    expect(await page.locator('#cell').innerText()).toMatch(/^cell \S+/);
    expect(await section('conditions')).toMatch(/Ready\s+True\s+Converged/);
    expect(await section('passes')).toMatch(/startup\s+converged\s+\d+ ms/);
    expect(await section('file-errors')).toContain('every state file is valid');
    // The live matrix of this small cell: every peer a row, no pair marked while only our rules decide.
    const matrix = await section('matrix');
    expect(matrix).toContain('the live rules match the desired state');
    for (const peer of ['alice', 'bob', 'carol'])
      expect(matrix).toMatch(new RegExp(`^${peer}\\s+(reaches|dropped)`, 'm'));
  });

  it('shows the drift repair of a foreign DROP inserted above our jump, with the rule it restored', async () => {
    await nsRunOk(bed.cell.wg, ['iptables', '-I', 'FORWARD', '1', '-s', '10.0.0.3/32', '-j', 'DROP']);
    controller?.trigger('resync');
    await shows('repairs', 'insert-jump');
    const repairs = await section('repairs');
    expect(repairs).toMatch(/insert-jump\s+filter\/FORWARD/);
    expect(repairs).toContain('rule inserted above ours');
    expect(repairs).toContain('-m comment --comment "pic:jump" -j PIC-FORWARD');
    expect(await section('passes')).toMatch(/resync\s+converged\s+\d+ ms\s+.*insert-jump 1/);
  });

  it('names broken files (escaped) and what they hold back, and refreshes itself', async () => {
    const bob = join(stateDir, 'peers', 'bob.json');
    const bobText = await readFile(bob, 'utf8');
    await writeFile(bob, bobText.slice(0, Math.floor(bobText.length / 2)));
    await mkdir(join(stateDir, 'peers'), { recursive: true });
    await writeFile(join(stateDir, 'peers', HOSTILE_NAME), '{');
    await shows('file-errors', HOSTILE_NAME);
    await shows('held-back', 'Peer/bob');
    const errors = await section('file-errors');
    expect(errors).toContain('peers/bob.json');
    expect(await section('held-back')).toMatch(/peers\/bob\.json\s+last-good\s+Peer\/bob/);
    expect(await page.locator('#ready').innerText()).toMatch(/^Not ready: /);
    // The file name stayed text: no element was made from it, no handler ran.
    expect(await page.locator('img').count()).toBe(0);
    await mkdir(resolve('test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`[status-page] screenshot: ${SCREENSHOT}`);

    await writeFile(bob, bobText);
    await rm(join(stateDir, 'peers', HOSTILE_NAME));
    await shows('file-errors', 'every state file is valid');
    await shows('held-back', 'nothing held back');
    expect(problems).toEqual([]);
  });

  it('draws a matrix from /status with the differences to the desired state marked (the shape the lead connects)', async () => {
    const hostile = '<b onmouseover=alert(1)>eve</b>';
    const status: ControllerStatus = {
      ...INITIAL_STATUS,
      matrix: {
        rows: ['alice', hostile],
        columns: ['internet', 'api'],
        cells: [
          [
            { reaches: true, differs: false },
            { reaches: false, differs: false },
          ],
          [
            { reaches: true, differs: true, detail: 'accept at FORWARD rule 1 (foreign)' },
            { reaches: null, differs: false },
          ],
        ],
      },
    };
    const server: Server = await serveStatus('127.0.0.1:0', {
      status: () => status,
      metrics: { registry: new Registry() },
    });
    try {
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await shows('matrix', '1 difference(s) to the desired state');
      const text = await section('matrix');
      expect(text).toMatch(/alice\s+reaches\s+dropped/);
      expect(text).toContain(`${hostile}\treaches ≠ desired\tunknown`);
      expect(await page.locator('#matrix .differs').allInnerTexts()).toEqual(['reaches ≠ desired']);
      expect(await page.locator('#matrix b').count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
});
