import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCellTargets } from '../../../src/targets/open-cell-targets.js';
import { controllerConfigSchema } from '../../../src/config/controller-config.js';
import { serveStatus, splitListen } from '../../../src/http/serve-status.js';
import { stateIssue } from '../../../src/text/state-issue.js';
import { Controller } from '../../../src/loop/controller.js';
import { INITIAL_STATUS, type ControllerStatus } from '../../../src/status/controller-status.js';
import { createLogger } from '../../../src/loop/logger.js';

const config = controllerConfigSchema.parse({
  targets: { wireguard: 'local', caddy: 'local', api: 'ip:172.20.0.3', dns: 'none' },
});
// Never started: only its metrics and status are served.
const controller = new Controller({
  stateDir: '/nonexistent',
  config,
  targets: openCellTargets(config),
  docker: null,
  containers: [],
  logger: createLogger({ level: 'silent', pretty: false }),
  allowMassDelete: false,
});

const MANY_ERRORS: ControllerStatus = {
  ...INITIAL_STATUS,
  fileErrors: Array.from({ length: 5_000 }, (_, i) =>
    stateIssue(`peers/p${i}.json`, '', 'Unexpected end of JSON input'),
  ),
};

describe('status HTTP server', () => {
  let server: Server;
  let bigServer: Server;
  let base = '';
  let bigBase = '';

  beforeAll(async () => {
    server = await serveStatus('127.0.0.1:0', controller);
    bigServer = await serveStatus('127.0.0.1:0', { status: () => MANY_ERRORS, metrics: controller.metrics });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    bigBase = `http://127.0.0.1:${(bigServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of [server, bigServer]) await new Promise((done) => s.close(done));
  });

  it('listens on loopback by default, exactly where it is told', () => {
    expect(splitListen(controllerConfigSchema.parse({}).listen)).toEqual({ host: '127.0.0.1', port: 9470 });
    expect(splitListen('[::1]:9470')).toEqual({ host: '::1', port: 9470 });
    expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it('answers GET and HEAD only; anything else is 405 with Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await fetch(`${base}/status`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(100);
    expect(await head.text()).toBe('');
  });

  it('serves /healthz, /readyz (not ready before the first reconcile) and 404 elsewhere', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toBe('not ready\n');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/status?verbose=1`)).status).toBe(200);
  });

  it('serves /status as JSON with the conditions, bounded however many files are broken', async () => {
    const status = (await (await fetch(`${base}/status`)).json()) as ControllerStatus;
    expect(status.conditions.map((c) => `${c.type}=${c.status}`)).toEqual([
      'Ready=Unknown',
      'StateValid=Unknown',
      'TargetsReachable=Unknown',
      'Degraded=Unknown',
      'AccessDiverged=Unknown',
    ]);
    const res = await fetch(`${bigBase}/status`);
    const body = await res.text();
    const big = JSON.parse(body) as ControllerStatus & { fileErrorCount: number };
    expect(big.fileErrorCount).toBe(5_000);
    expect(big.fileErrors.length).toBeLessThanOrEqual(200);
    expect(body.length).toBeLessThan(100_000);
  });

  it('exposes only pic_ metrics, with the counters present at zero before the first event', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const names = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1] ?? '');
    expect(names.length).toBeGreaterThanOrEqual(9);
    for (const name of names) expect(name).toMatch(/^pic_/);
    for (const line of [
      'pic_reconciles_total{result="converged",trigger="state"} 0',
      'pic_reconciles_total{result="refused",trigger="startup"} 0',
      'pic_reconciles_total{result="error",trigger="docker"} 0',
      'pic_actions_applied_total{kind="update-chain"} 0',
      'pic_drift_repairs_total{kind="insert-jump"} 0',
      'pic_desired_resources{kind="Peer"} 0',
      'pic_state_errors 0',
      'pic_mass_delete_blocked 0',
      'pic_ready 0',
      'pic_reconcile_duration_seconds_count 0',
      'pic_last_success_timestamp_seconds 0',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
  });
});
