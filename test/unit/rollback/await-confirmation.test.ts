import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../helpers/temp-dir.js';
import { awaitConfirmation } from '../../../src/rollback/await-confirmation.js';
import { guardSignals } from '../../../src/rollback/signal-guard.js';
import { deadlineIn } from '../../../src/rollback/window-clock.js';

/** A stream that says it is a terminal, as a tty's standard input does in cooked mode: whole lines. */
function terminal(): NodeJS.ReadStream {
  return Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.ReadStream;
}

describe('awaitConfirmation on a terminal', () => {
  const dir = useTempDir('pict-await-');

  const wait = (stdin: NodeJS.ReadStream, ms: number) =>
    awaitConfirmation({
      statusDir: dir(),
      id: 'a'.repeat(32),
      deadline: deadlineIn(ms),
      stdin,
      guard: guardSignals(new EventEmitter(), () => undefined),
    });

  it('only a whole line y or yes confirms', async () => {
    const stdin = terminal();
    const end = wait(stdin, 5_000);
    (stdin as unknown as PassThrough).write('yellow\nno y\nyy\n');
    const early = await Promise.race([end, new Promise((done) => setTimeout(() => done('still open'), 100))]);
    expect(early).toBe('still open');
    (stdin as unknown as PassThrough).write('  YES \n');
    expect(await end).toBe('typed');
  });

  it('a line holding a y among other text does not, and the window expires', async () => {
    const stdin = terminal();
    const end = wait(stdin, 300);
    (stdin as unknown as PassThrough).write('yellow\nmaybe y\n');
    expect(await end).toBe('expired');
  });
});
