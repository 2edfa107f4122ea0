import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { StateFile } from '../../src/load/validate-state.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import type { Controller } from '../../src/loop/controller.js';
import type { ControllerStatus } from '../../src/status/controller-status.js';

/** One file per resource, as a person would lay the state out: cell.json (services by name and VIP), peers/, cells/. */
export function resourceFiles(state: DesiredState): StateFile[] {
  const { cell } = state;
  return [
    {
      file: 'cell.json',
      text: JSON.stringify({ ...cell, services: cell.services.map((s) => ({ name: s.name, vip: s.vip })) }),
    },
    ...state.peers.map((p) => ({ file: `peers/${p.name}.json`, text: JSON.stringify(p) })),
    ...state.links.map((l) => ({ file: `cells/${l.name}.json`, text: JSON.stringify(l) })),
  ];
}

/** Writes a state as files: cell.json, one file per peer and per link under peers/ and cells/. */
export async function writeStateFiles(dir: string, state: DesiredState): Promise<void> {
  await mkdir(join(dir, 'peers'), { recursive: true });
  await mkdir(join(dir, 'cells'), { recursive: true });
  await writeFile(join(dir, 'cell.json'), JSON.stringify(state.cell));
  for (const p of state.peers) await writeFile(join(dir, 'peers', `${p.name}.json`), JSON.stringify(p));
  for (const l of state.links) await writeFile(join(dir, 'cells', `${l.name}.json`), JSON.stringify(l));
}

/** A logger that writes nothing: the assertions read Controller.status(). */
export const SILENT = pino({ level: 'silent' });

/**
 * Triggers passes until the status satisfies `done` (at most `maxPasses`): a pass already in
 * flight, or one started before an edit was seen, is simply followed by another.
 */
export async function passUntil(
  controller: Controller,
  done: (status: ControllerStatus) => boolean,
  maxPasses = 6,
): Promise<ControllerStatus> {
  for (let i = 0; i < maxPasses; i++) {
    const next = controller.nextPass();
    controller.trigger('state');
    await next;
    if (done(controller.status())) return controller.status();
  }
  throw new Error(
    `no pass reached the expected status: ${JSON.stringify(controller.status().lastReconcile)} ${JSON.stringify(controller.status().conditions)}`,
  );
}

export const converged = (s: ControllerStatus): boolean => s.lastReconcile?.converged === true;
