import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../apply/write-file-atomic.js';
import { locatorText } from '../model/locator.js';
import type { ControllerConfig } from '../config/controller-config.js';
import type { LoadedState } from '../load/loaded-state.js';
import { readStateDir } from '../load/read-state-dir.js';
import { validateState } from '../load/validate-state.js';
import type { Observed } from '../observe/observe-cell.js';
import type { LayoutConfig } from '../model/facts.js';
import type { Plan } from '../model/plan.js';
import { cellFingerprint } from '../plan/cell-fingerprint.js';
import { buildPlanFile, parsePlanFile, planFileText, type PlanFile, type PlanFileResult } from '../plan/plan-file.js';

/** The edges of a saved plan: hashing, the state files' text, the file itself (plan-file.ts has the format). */

/** Only the operator reads a plan: it quotes rules and the Corefile. */
const PLAN_FILE_MODE = 0o600;
/** A plan of a cell of thousands of peers stays well under this; anything bigger is not ours. */
const MAX_PLAN_FILE_BYTES = 64 * 1024 * 1024;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface HashedState {
  readonly loaded: LoadedState;
  /** Relative state file → sha256 of its text (of its read error, for one that could not be read). */
  readonly files: Readonly<Record<string, string>>;
}

/** loadState, keeping each file's hash: what a saved plan was planned from. */
export async function loadHashedState(stateDir: string): Promise<HashedState> {
  const entries = await readStateDir(stateDir);
  const files = Object.fromEntries(
    entries.map((entry) => [entry.file, sha256Hex('text' in entry ? entry.text : `unreadable: ${entry.error}`)]),
  );
  return { loaded: validateState(entries), files };
}

/** The config parts a plan depends on: which cell, and the names and numbers it was rendered with. */
export function planConfig(config: ControllerConfig, layout: LayoutConfig): Record<string, string> {
  const { wireguard, caddy, api, dns } = config.targets;
  return {
    'targets.wireguard': locatorText(wireguard),
    'targets.caddy': locatorText(caddy),
    'targets.api': locatorText(api),
    'targets.dns': locatorText(dns),
    corefile: config.corefile,
    'interfaces.wireguard': layout.wireguardInterface,
    'interfaces.egress': layout.egressInterface,
    'interfaces.caddy': layout.caddyInterface,
    api_port: String(layout.apiPort),
  };
}

export interface SavePlanInput {
  readonly plan: Plan;
  readonly stateDir: string;
  readonly state: HashedState;
  readonly config: ControllerConfig;
  readonly layout: LayoutConfig;
  readonly observation: Observed;
}

/** Writes the plan file (atomically, mode 0600) and returns what it holds. */
export async function savePlanFile(path: string, input: SavePlanInput): Promise<PlanFile> {
  const { observed, facts } = input.observation;
  const file = buildPlanFile({
    plan: input.plan,
    created: new Date().toISOString(),
    stateDir: resolve(input.stateDir),
    stateFiles: input.state.files,
    hash: sha256Hex,
    config: planConfig(input.config, input.layout),
    live: cellFingerprint(observed, facts, input.layout, sha256Hex),
  });
  await writeFileAtomic(path, planFileText(file), { privateMode: PLAN_FILE_MODE });
  return file;
}

/** The plan file at `path`, or one line naming the file (and the field) that is wrong. */
export async function readPlanFile(path: string): Promise<PlanFileResult> {
  let text: string;
  try {
    const buffer = await readFile(path);
    if (buffer.length > MAX_PLAN_FILE_BYTES)
      return { ok: false, error: `${path}: larger than ${MAX_PLAN_FILE_BYTES} bytes: not a plan file` };
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, error: `${path}: cannot read: ${code ?? (error as Error).message}` };
  }
  return parsePlanFile(text, path);
}
