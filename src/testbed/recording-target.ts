import type { ExecOptions, ExecResult, Target } from '../model/target.js';

/** One command a target ran: what, how much input it got, how long it took. */
export interface ExecRecord {
  readonly argv: readonly string[];
  readonly stdin: string;
  readonly stdinBytes: number;
  readonly stdinLines: number;
  readonly ms: number;
}

/** A target that keeps a record of every exec, so the bench and the tests can count processes and restore input sizes. */
export interface RecordingTarget extends Target {
  readonly records: readonly ExecRecord[];
  /** Returns the records since the last take and starts a new list. */
  take(): ExecRecord[];
}

function lineCount(text: string): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

export function createRecordingTarget(inner: Target): RecordingTarget {
  let records: ExecRecord[] = [];
  return {
    locator: inner.locator,
    get records(): readonly ExecRecord[] {
      return records;
    },
    take(): ExecRecord[] {
      const taken = records;
      records = [];
      return taken;
    },
    async exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
      const t0 = performance.now();
      try {
        return await inner.exec(argv, options);
      } finally {
        const stdin = options?.stdin ?? '';
        records.push({
          argv,
          stdin,
          stdinBytes: Buffer.byteLength(stdin),
          stdinLines: lineCount(stdin),
          ms: performance.now() - t0,
        });
      }
    },
  };
}
