import { randomBytes } from 'node:crypto';

/**
 * The temp file beside `name` for an atomic replace: `.<name>.<32 hex>.tmp`. The random part
 * is unpredictable, so whoever else writes the folder cannot plant a link at the name in advance.
 */
export function tempFileName(name: string): string {
  return `.${name}.${randomBytes(16).toString('hex')}.tmp`;
}

/** True for exactly the names tempFileName(name) gives, and no other. */
export function isTempFileName(name: string, candidate: string): boolean {
  const prefix = `.${name}.`;
  return (
    candidate.length === prefix.length + 36 &&
    candidate.startsWith(prefix) &&
    /^[0-9a-f]{32}\.tmp$/.test(candidate.slice(prefix.length))
  );
}
