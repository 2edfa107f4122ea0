/**
 * One pass, one spelling: a pass that holds a broken file back reads `degraded` in `status` as
 * in the log and on the page, and the broken file's place is `file: /: …` in `status`, the log
 * and `validate` alike. A real controller over an in-memory cell, asked by the built CLI.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllerConfigSchema } from '../../src/config/controller-config.js';
import { Controller } from '../../src/loop/controller.js';
import { builtEntry } from '../helpers/build-dist.js';
import { runCli } from '../helpers/run-cli.js';
import { HOME_CELL as CELL, HOME_VIPS as VIPS, InMemoryCell } from '../unit/loop/in-memory-cell.js';

describe('the words for a degraded pass and a broken file', () => {
  let work = '';
  let stateDir = '';
  let controller: Controller;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    builtEntry('cli/main.js');
    work = await mkdtemp(join(tmpdir(), `pict-${process.pid}-words-`));
    stateDir = join(work, 'state');
    await mkdir(join(stateDir, 'peers'), { recursive: true });
    await writeFile(join(stateDir, 'cell.json'), JSON.stringify(CELL));
    await writeFile(
      join(stateDir, 'peers', 'carol.json'),
      JSON.stringify({ kind: 'Peer', name: 'carol', ip: '10.0.0.4' }),
    );
    const corefile = join(work, 'Corefile');
    const cell = new InMemoryCell(VIPS);
    controller = new Controller({
      stateDir,
      config: controllerConfigSchema.parse({
        targets: { wireguard: 'netns:fake-wg', caddy: 'netns:fake-lan', api: 'ip:172.20.0.3', dns: 'none' },
        corefile,
        listen: '127.0.0.1:0',
        status_dir: join(work, 'status'),
      }),
      targets: cell.targets(corefile),
      docker: null,
      containers: [],
      logger: pino(
        { level: 'info' },
        { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
      ),
      allowMassDelete: false,
    });
    const first = controller.nextPass();
    await controller.start();
    await first;
    // carol breaks: her last good version stays in force, so the pass is degraded.
    await writeFile(join(stateDir, 'peers', 'carol.json'), '{ "kind": "Peer", ');
    const second = controller.nextPass();
    controller.trigger('state');
    await second;
  });
  afterAll(async () => {
    await controller.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('status says degraded, as the log does, and names the file as the log and validate do', async () => {
    const listen = controller.listening();
    if (listen === null) throw new Error('the controller serves no HTTP');
    expect(controller.status().recentPasses[0]?.result).toBe('degraded');
    expect(lines.some((l) => String(l['msg']).startsWith('reconcile degraded: '))).toBe(true);

    const status = await runCli(['status', '--listen', listen]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^last reconcile .*: degraded in \d+ ms; /m);
    expect(status.stdout).not.toMatch(/not converged/i);

    const logged = lines.map((l) => String(l['msg'])).find((m) => m.startsWith('state error: '));
    const issue = logged?.slice('state error: '.length) ?? '';
    expect(issue).toMatch(/^peers\/carol\.json: \/: invalid JSON at line 1 column \d+: /);
    expect(status.stdout).toContain(`file error       ${issue}\n`);
    expect(status.stdout).not.toContain(': : ');

    const validate = await runCli(['validate', '--state', stateDir]);
    expect(validate.stderr.split('\n')).toContain(`${stateDir}/${issue}`);
  });
});
