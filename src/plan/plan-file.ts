import { z } from 'zod';
import { toPointer } from '../text/state-issue.js';
import type { Plan } from '../model/plan.js';
import { actionSchema, asAction } from './action-schema.js';
import type { CellFingerprint } from './cell-fingerprint.js';
import { planToJson } from './format-plan.js';

/**
 * A saved plan (`plan --out FILE`, `apply FILE`, `show FILE`): the actions, what they were planned
 * from (the state files' hashes, the config's targets and layout) and the live cell's
 * fingerprint (cell-fingerprint.ts). One JSON document; `plan --out FILE --json` prints it too.
 * Pure: hashes are computed at the edge and come in as hex text.
 */

export const PLAN_FILE_FORMAT = 'pic-reconciler-plan';

const hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex');

const planFileSchema = z.strictObject({
  format: z.literal(PLAN_FILE_FORMAT),
  format_version: z.literal(1),
  created: z.string(),
  state: z.strictObject({ dir: z.string().min(1), hash: hex, files: z.record(z.string(), hex) }),
  /** The config parts the plan depends on: where the cell is, and its interface names and api port. */
  config: z.record(z.string(), z.string()),
  live: z.record(z.string(), hex),
  plan: z.strictObject({
    format_version: z.literal(1),
    summary: z.strictObject({ add: z.number(), change: z.number(), destroy: z.number() }),
    actions: z.array(actionSchema),
    skipped: z.array(
      z.strictObject({ part: z.string(), error: z.string(), unread: z.literal(true).optional() }).readonly(),
    ),
    warnings: z.array(z.string()),
  }),
});

export interface PlanFile {
  readonly format: typeof PLAN_FILE_FORMAT;
  readonly format_version: 1;
  readonly created: string;
  readonly state: { readonly dir: string; readonly hash: string; readonly files: Readonly<Record<string, string>> };
  readonly config: Readonly<Record<string, string>>;
  readonly live: CellFingerprint;
  readonly plan: ReturnType<typeof planToJson>;
}

export interface PlanFileInput {
  readonly plan: Plan;
  /** ISO time of the plan. */
  readonly created: string;
  /** The state folder, absolute. */
  readonly stateDir: string;
  /** Relative state file → sha256 of its text. */
  readonly stateFiles: Readonly<Record<string, string>>;
  readonly hash: (text: string) => string;
  readonly config: Readonly<Record<string, string>>;
  readonly live: CellFingerprint;
}

/** The hash of the whole state: of its files' names and hashes, in order. */
export function stateHash(files: Readonly<Record<string, string>>, hash: (text: string) => string): string {
  return hash(
    Object.keys(files)
      .sort()
      .map((file) => `${JSON.stringify(file)} ${files[file]}`)
      .join('\n'),
  );
}

export function buildPlanFile(input: PlanFileInput): PlanFile {
  return {
    format: PLAN_FILE_FORMAT,
    format_version: 1,
    created: input.created,
    state: { dir: input.stateDir, hash: stateHash(input.stateFiles, input.hash), files: { ...input.stateFiles } },
    config: { ...input.config },
    live: { ...input.live },
    plan: planToJson(input.plan),
  };
}

export function planFileText(file: PlanFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

export type PlanFileResult =
  { readonly ok: true; readonly file: PlanFile } | { readonly ok: false; readonly error: string };

/** Reads a plan file's text; an error is one line naming the file and the field. */
export function parsePlanFile(text: string, name: string): PlanFileResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `${name}: /: not a plan file: ${(error as Error).message.split('\n')[0]}` };
  }
  const format = typeof json === 'object' && json !== null ? (json as { format?: unknown }).format : undefined;
  if (format !== PLAN_FILE_FORMAT)
    return { ok: false, error: `${name}: /format: not a plan file (expected "${PLAN_FILE_FORMAT}")` };
  const parsed = planFileSchema.safeParse(json);
  if (parsed.success) {
    const { plan, ...rest } = parsed.data;
    return { ok: true, file: { ...rest, plan: { ...plan, actions: plan.actions.map(asAction) } } };
  }
  const issue = parsed.error.issues[0];
  const path = (issue?.path ?? []).map((s) => (typeof s === 'symbol' ? String(s.description) : s));
  const message =
    issue?.code === 'invalid_type' && issue.input === undefined ? 'required field is missing' : issue?.message;
  return { ok: false, error: `${name}: ${toPointer(path) || '/'}: ${(message ?? 'invalid').replace(/\s+/g, ' ')}` };
}

export function planOf(file: PlanFile): Plan {
  const { actions, skipped, warnings } = file.plan;
  return { actions, skipped, ...(warnings.length > 0 ? { warnings } : {}) };
}

/** The names that differ between two records of hashes: changed, `(new)` or `(gone)`. */
export function movedEntries(saved: Readonly<Record<string, string>>, now: Readonly<Record<string, string>>): string[] {
  const names = [...new Set([...Object.keys(saved), ...Object.keys(now)])].sort();
  return names.flatMap((name) => {
    const before = saved[name];
    const after = now[name];
    if (before === after) return [];
    return [before === undefined ? `${name} (new)` : after === undefined ? `${name} (gone)` : name];
  });
}

/** JSON with keys in order: two action lists are the same when these texts are. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A list of moved names for one line: the first few, then how many more. */
export function nameList(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}
