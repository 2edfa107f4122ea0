/**
 * What `import` says about each thing it read: one line per finding, so a user sees at a
 * glance what came over from the seed's cell, what changes on purpose, and what it could
 * not work out and must be checked by hand.
 */
export type FindingLevel =
  /** Read from the live cell. */
  | 'inferred'
  /** Deliberately not carried over: one of the seed's defects (DESIGN §5). */
  | 'changed'
  /** Not in the live cell, or ambiguous: a default or a guess was written instead. */
  | 'could not';

export interface Finding {
  readonly level: FindingLevel;
  /** The state file it concerns (relative to the output dir), or `live cell`. */
  readonly subject: string;
  readonly message: string;
}

const WIDTH = Math.max(...(['inferred', 'changed', 'could not'] as const).map((level) => level.length));

export function formatFinding(finding: Finding): string {
  return `${finding.level.padEnd(WIDTH)}  ${finding.subject}: ${finding.message}`;
}

export function finding(level: FindingLevel, subject: string, message: string): Finding {
  return { level, subject, message };
}
