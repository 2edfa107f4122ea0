/**
 * Docker's multiplexed stream (an exec or attach without a tty): each frame is an 8-byte header
 * `[stream, 0, 0, 0, size as uint32 big-endian]` followed by `size` bytes of output. Frames arrive
 * split across chunks in any way, so the unfinished tail is carried into the next call.
 */

export const FRAME_HEADER_BYTES = 8;

export interface StreamFrame {
  /** 0 stdin, 1 stdout, 2 stderr, 3 an error from the daemon itself. */
  readonly streamId: number;
  readonly payload: Buffer;
}

export interface SplitFrames {
  readonly frames: readonly StreamFrame[];
  /** The bytes of an unfinished frame; pass them back with the next chunk. */
  readonly rest: Buffer;
}

const STDERR = 2;

/** The complete frames in `pending` + `chunk`, and what is left over. */
export function splitStreamFrames(pending: Buffer, chunk: Buffer): SplitFrames {
  const buffer = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
  const frames: StreamFrame[] = [];
  let offset = 0;
  while (buffer.length - offset >= FRAME_HEADER_BYTES) {
    const size = buffer.readUInt32BE(offset + 4);
    const end = offset + FRAME_HEADER_BYTES + size;
    if (end > buffer.length) break;
    frames.push({ streamId: buffer[offset] ?? STDERR, payload: buffer.subarray(offset + FRAME_HEADER_BYTES, end) });
    offset = end;
  }
  return { frames, rest: buffer.subarray(offset) };
}

/** Collects a command's stdout and stderr from the chunks of its multiplexed stream. */
export interface OutputCollector {
  push(chunk: Buffer): void;
  /** The text so far; an unfinished last frame is left out. */
  stdout(): string;
  stderr(): string;
}

export function collectStreamOutput(): OutputCollector {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let rest: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      const split = splitStreamFrames(rest, chunk);
      rest = split.rest;
      // As Docker's stdcopy: stdin's id counts as stdout; the daemon's own errors (3) go with stderr.
      for (const frame of split.frames) (frame.streamId < STDERR ? out : err).push(frame.payload);
    },
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
  };
}
