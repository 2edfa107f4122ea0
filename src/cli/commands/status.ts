import { request } from 'node:http';
import type { ControllerStatus, LastReconcile, PassResult } from '../../status/controller-status.js';
import { isReady } from '../../status/controller-status.js';
import { splitListen } from '../../http/serve-status.js';
import { formatIssue } from '../../text/state-issue.js';
import { passWords } from '../../model/reconcile-labels.js';
import { escapeUntrusted } from '../../text/escape-untrusted.js';
import type { CliValues } from '../cli-values.js';
import { printError, readConfig } from '../cli-common.js';

function fetchStatus(listen: string): Promise<ControllerStatus & { fileErrorCount?: number }> {
  const { host, port } = splitListen(listen);
  return new Promise((resolveStatus, reject) => {
    const req = request({ host, port, path: '/status', method: 'GET', timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolveStatus(JSON.parse(body) as ControllerStatus & { fileErrorCount?: number });
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** A controller older than this CLI sends no `result`: then only converged or not is known. */
function resultOf(last: LastReconcile): PassResult {
  const sent = (last as Partial<LastReconcile>).result;
  return sent ?? (last.converged ? 'converged' : 'not_converged');
}

/** `status`: asks a running controller; exit 0 when it is ready. */
export async function runStatus(values: CliValues): Promise<number> {
  const config = await readConfig(values);
  if (config === null) return 1;
  const listen = config.listen;
  let status;
  try {
    status = await fetchStatus(listen);
  } catch (error) {
    printError(`no controller answers on ${listen}: ${(error as Error).message}`);
    return 1;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return isReady(status) ? 0 : 1;
  }
  const out: string[] = [];
  for (const c of status.conditions)
    out.push(`${c.type.padEnd(17)} ${c.status.padEnd(7)} ${c.reason}: ${c.message} (since ${c.lastTransitionTime})`);
  const last = status.lastReconcile;
  if (last) {
    const actions =
      Object.entries(last.actions)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ') || 'no changes';
    out.push(
      `last reconcile   ${last.id} at ${last.startedAt} (${last.triggers.join(', ')}): ${passWords(resultOf(last))} in ${last.durationMs} ms; ${actions}`,
    );
    for (const e of last.errors) out.push(`  error: ${e}`);
  }
  out.push(
    `desired          ${status.counts.peers} peers, ${status.counts.links} cell links, ${status.counts.services} services`,
  );
  if (status.massDeleteGuard.blocked) out.push(`mass-delete guard: ${status.massDeleteGuard.reason}`);
  for (const h of status.heldBack ?? [])
    out.push(`held back        ${h.file} (${h.reason}): ${h.resources.join(', ')}`);
  if (typeof status.lastGoodError === 'string') out.push(`last good state  ${status.lastGoodError}`);
  for (const e of status.fileErrors) out.push(`file error       ${formatIssue(e)}`);
  const unlisted = (status.fileErrorCount ?? status.fileErrors.length) - status.fileErrors.length;
  if (unlisted > 0) out.push(`file error       … and ${unlisted} more`);
  // Everything here came over HTTP: escaped line by line.
  process.stdout.write(`${out.map(escapeUntrusted).join('\n')}\n`);
  return isReady(status) ? 0 : 1;
}
