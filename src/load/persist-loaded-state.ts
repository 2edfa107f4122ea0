/**
 * LoadedState ⇄ JSON text, so last-known-good survives a restart (DESIGN.md §6).
 *
 * The persisted form lists each file's resources. Reading it back validates those
 * resources exactly like state files (shape, characters, cross-resource checks), so a
 * damaged or hand-edited cache can never inject anything that a state file could not.
 */
import { z } from 'zod';
import type { Resource } from '../model/desired-state.js';
import { resourcesByKey, type LoadedState, type ResourceKey } from './loaded-state.js';
import { parseJson } from '../parse/parse-json.js';
import { formatIssue, stateIssue } from '../text/state-issue.js';
import { validateState } from './validate-state.js';

const FORMAT = 'pic-reconciler/loaded-state/v1';

const persistedSchema = z.strictObject({
  format: z.literal(FORMAT),
  /** Resources by the file that contributed them; null when there was no valid state. */
  files: z.record(z.string(), z.array(z.unknown())).nullable(),
  issues: z.array(z.strictObject({ file: z.string(), pointer: z.string(), message: z.string() })),
  fallbackFiles: z.array(z.string()),
  unresolvedFiles: z.array(z.string()),
});

type Persisted = z.infer<typeof persistedSchema>;

export function serializeLoadedState(loaded: LoadedState): string {
  const byKey = resourcesByKey(loaded.state);
  let files: Record<string, Resource[]> | null = null;
  if (loaded.state !== null) {
    files = {};
    for (const [file, keys] of loaded.fileResources) {
      files[file] = keys.flatMap((key: ResourceKey) => byKey.get(key) ?? []);
    }
  }
  const persisted: Persisted = {
    format: FORMAT,
    files,
    issues: [...loaded.issues],
    fallbackFiles: [...loaded.fallbackFiles],
    unresolvedFiles: [...loaded.unresolvedFiles],
  };
  return `${JSON.stringify(persisted, null, 2)}\n`;
}

export function deserializeLoadedState(text: string): { ok: true; value: LoadedState } | { ok: false; error: string } {
  const json = parseJson(text);
  if (!json.ok) return { ok: false, error: json.message };
  const parsed = persistedSchema.safeParse(json.value);
  if (!parsed.success) return { ok: false, error: `not a ${FORMAT} document` };
  const { files, issues, fallbackFiles, unresolvedFiles } = parsed.data;

  const extras = {
    issues: Object.freeze(issues.map((i) => stateIssue(i.file, i.pointer, i.message))),
    fallbackFiles: Object.freeze([...fallbackFiles]),
    unresolvedFiles: Object.freeze([...unresolvedFiles]),
  };
  if (files === null) return { ok: true, value: { state: null, fileResources: new Map(), ...extras } };

  const revalidated = validateState(
    Object.entries(files).map(([file, resources]) => ({ file, text: JSON.stringify(resources) })),
  );
  const [first] = revalidated.issues;
  if (first !== undefined || revalidated.state === null) {
    return { ok: false, error: `invalid saved state: ${first === undefined ? 'no state' : formatIssue(first)}` };
  }
  return { ok: true, value: { state: revalidated.state, fileResources: revalidated.fileResources, ...extras } };
}
