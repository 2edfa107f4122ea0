/** The oldest Node this runs on (package.json `engines`): require(esm) and the fs/fetch APIs it uses. */
export const MINIMUM_NODE = '20.19.0';

/**
 * Why `version` (as `process.version` prints it) is too old, or null. Kept free of syntax and APIs
 * newer than Node 12, so the message itself still shows on the Node 18 Debian 12 ships.
 */
export function nodeVersionProblem(version: string, minimum: string = MINIMUM_NODE): string | null {
  const parse = (text: string): number[] =>
    text
      .replace(/^v/, '')
      .split('.')
      .slice(0, 3)
      .map((n) => parseInt(n, 10) || 0);
  const have = parse(version);
  const need = parse(minimum);
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) > (need[i] ?? 0)) return null;
    if ((have[i] ?? 0) < (need[i] ?? 0))
      return `pic-reconciler needs Node ${minimum} or newer; this is Node ${version.replace(/^v/, '')} (Debian 12 ships Node 18: install Node 20 or 22 from NodeSource or nodejs.org)`;
  }
  return null;
}
