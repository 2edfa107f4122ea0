#!/usr/bin/env node
import { runCli } from './build-program.js';
import { ALL_COMMANDS } from './declarations/all-commands.js';
import { packageVersion } from './package-version.js';
import { escapeUntrusted } from '../text/escape-untrusted.js';

/**
 * The `pic-reconciler` command: parse argv, run the command, exit. It loads only the parser and the
 * command declarations; each command's handler (and with it zod, pino, prom-client, immer or the
 * Docker client) is imported when that command runs. `npm run build` makes dist/cli/main.js from
 * this file: one ES-module bundle for every command, `run` included (see rolldown.config.mjs).
 */

/**
 * A request to a Docker daemon that stopped answering can outlive its deadline and keep the
 * event loop alive; once a command is done, give output a moment to drain, then exit regardless.
 */
const EXIT_GRACE_MS = 2_000;

/**
 * A reader that closed the pipe early (`| head -1`) is no error of ours: the output nobody reads
 * is dropped and the command runs to its end (an apply is never cut off half-way), so the
 * process ends with its own exit code rather than an unhandled EPIPE stack trace.
 */
function dropOutputOnceClosed(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

dropOutputOnceClosed(process.stdout);
dropOutputOnceClosed(process.stderr);

function finish(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}

runCli(process.argv.slice(2), ALL_COMMANDS, packageVersion()).then(finish, (error: unknown) => {
  process.stderr.write(`pic-reconciler: ${escapeUntrusted(error instanceof Error ? error.message : String(error))}\n`);
  finish(1);
});
