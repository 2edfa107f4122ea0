import type { LocatorByRole } from '../model/locator.js';
import { awaitDockerWrites } from '../targets/await-docker-writes.js';

/**
 * What a writer does once it holds the cell lock, before it writes anything: the lock's
 * inherited fd does not reach into a container, so a write a killed writer left running there
 * is waited for (up to 60 s, saying so once) instead of raced. Returns a refusal line, or null.
 */
export function awaitOrphanWrites(
  targets: LocatorByRole,
  options: { readonly note: (line: string) => void; readonly waitMs?: number; readonly pollMs?: number },
): Promise<string | null> {
  const containers = [...new Set(Object.values(targets).flatMap((t) => (t.kind === 'docker' ? [t.name] : [])))];
  return awaitDockerWrites(containers, { waitMs: 60_000, ...options });
}
