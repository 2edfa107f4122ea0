import { describe, expect, it } from 'vitest';
import { collectStreamOutput, FRAME_HEADER_BYTES, splitStreamFrames } from '../../../src/targets/docker-stream-frames.js';

function frame(streamId: number, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header[0] = streamId;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Feeds `bytes` to a collector in pieces cut at `cuts`. */
function collectCut(bytes: Buffer, cuts: readonly number[]): { stdout: string; stderr: string } {
  const output = collectStreamOutput();
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    output.push(bytes.subarray(from, cut));
    from = cut;
  }
  return { stdout: output.stdout(), stderr: output.stderr() };
}

describe('splitStreamFrames', () => {
  it('splits whole frames and keeps nothing back', () => {
    const split = splitStreamFrames(Buffer.alloc(0), Buffer.concat([frame(1, 'out'), frame(2, 'err'), frame(1, '')]));
    expect(split.frames.map((f) => [f.streamId, f.payload.toString()])).toEqual([[1, 'out'], [2, 'err'], [1, '']]);
    expect(split.rest.length).toBe(0);
  });

  it('keeps a partial header, then a partial payload, until the frame is complete', () => {
    const bytes = frame(2, 'hello');
    const first = splitStreamFrames(Buffer.alloc(0), bytes.subarray(0, 5));
    expect(first.frames).toEqual([]);
    const second = splitStreamFrames(first.rest, bytes.subarray(5, 10));
    expect(second.frames).toEqual([]);
    expect(second.rest.length).toBe(10);
    const third = splitStreamFrames(second.rest, bytes.subarray(10));
    expect(third.frames.map((f) => [f.streamId, f.payload.toString()])).toEqual([[2, 'hello']]);
    expect(third.rest.length).toBe(0);
  });

  it('reads the size as an unsigned 32-bit big-endian number', () => {
    const big = 'x'.repeat(70_000);
    const split = splitStreamFrames(Buffer.alloc(0), frame(1, big));
    expect(split.frames[0]?.payload.length).toBe(70_000);
  });
});

describe('collectStreamOutput', () => {
  const stream = Buffer.concat([frame(1, 'line one\n'), frame(2, 'oops\n'), frame(1, 'line two\n'), frame(2, 'ünïcode\n')]);

  it('gives the same stdout and stderr however the frames are cut into chunks', () => {
    const expected = { stdout: 'line one\nline two\n', stderr: 'oops\nünïcode\n' };
    expect(collectCut(stream, [])).toEqual(expected);
    for (let cut = 1; cut < stream.length; cut++) expect(collectCut(stream, [cut])).toEqual(expected);
    // One byte at a time: every header and every multi-byte character split.
    expect(collectCut(stream, Array.from({ length: stream.length - 1 }, (_, i) => i + 1))).toEqual(expected);
  });

  it('counts stdin frames as stdout and the daemon`s own error frames (3) as stderr, as docker`s stdcopy does', () => {
    expect(collectCut(Buffer.concat([frame(0, 'a'), frame(3, 'b'), frame(1, 'c')]), [])).toEqual({ stdout: 'ac', stderr: 'b' });
  });

  it('leaves out an unfinished last frame', () => {
    const cut = Buffer.concat([frame(1, 'done'), frame(1, 'cut short').subarray(0, 12)]);
    expect(collectCut(cut, [])).toEqual({ stdout: 'done', stderr: '' });
  });
});
