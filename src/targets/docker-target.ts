import { PassThrough, type Duplex, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ExecError, ProgramNotFoundError, type ExecOptions, type ExecResult, type Target } from '../model/target.js';
import { isCellWriteCommand } from '../apply/cell-write-command.js';
import { awaitDockerWrites } from './await-docker-writes.js';
import { DeadlineExceeded, withAbortableDeadline } from './deadline.js';
import { dockerClient, dockerExecError } from './docker-client.js';
import { timeoutOf, type TargetOptions } from './exec-defaults.js';

// runc's words when the program cannot be started (exit 126 or 127); a shell's own 127 is a result.
const NOT_STARTED = /OCI runtime exec failed|unable to start container process/;
const NOT_FOUND = /executable file not found|no such file or directory/i;
// Docker records the exit code a moment after the output stream ends.
const INSPECT_RETRY_MS = 20;

/**
 * Runs commands in a container (`docker:NAME`) through dockerode, without the docker CLI.
 * On timeout the requests in flight are aborted and the exec's connection is dropped; Docker
 * cannot kill an exec'd process, so one that truly hangs keeps running until it ends by itself.
 */
export function createDockerTarget(name: string, options?: TargetOptions): Target {
  const locator = `docker:${name}`;
  // A write whose exec timed out may still run in the container: the next exec waits for it first.
  let abandonedWrite = false;
  return {
    locator,
    async exec(argv: readonly string[], call?: ExecOptions): Promise<ExecResult> {
      const timeoutMs = timeoutOf(call?.timeoutMs, options);
      if (abandonedWrite) {
        const refusal = await awaitDockerWrites([name], { waitMs: timeoutMs });
        if (refusal !== null) throw new ExecError(locator, argv, null, '', refusal);
        abandonedWrite = false;
      }
      const connection: Connection = { stream: null };
      try {
        const result = await withAbortableDeadline(
          timeoutMs,
          (abort) => runExec(dockerClient(), name, argv, call?.stdin, connection, abort),
          () => connection.stream?.destroy(),
        );
        return checkStarted(locator, argv, result);
      } catch (error) {
        if (error instanceof DeadlineExceeded && isCellWriteCommand(argv)) abandonedWrite = true;
        throw dockerExecError(locator, argv, error);
      }
    },
  };
}

/** The exec's connection, so a deadline can drop it even when it opens late. */
interface Connection {
  stream: Readable | Duplex | null;
}

async function runExec(
  docker: Docker,
  name: string,
  argv: readonly string[],
  stdin: string | undefined,
  connection: Connection,
  abort: AbortSignal,
): Promise<ExecResult> {
  const withStdin = stdin !== undefined;
  const exec = await docker
    .getContainer(name)
    .exec({ Cmd: [...argv], AttachStdin: withStdin, AttachStdout: true, AttachStderr: true, abortSignal: abort });
  // With stdin the connection is hijacked (Upgrade: tcp), so it can be half-closed after the input.
  const stream = (await exec.start({ hijack: withStdin, stdin: withStdin, abortSignal: abort })) as Duplex;
  connection.stream = stream;
  if (abort.aborted) {
    stream.destroy();
    throw new Error('abandoned after the deadline');
  }
  const stdout = collect();
  const stderr = collect();
  docker.modem.demuxStream(stream, stdout.sink, stderr.sink);
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    // EPIPE: the command ended without reading all its input (a program that was not found,
    // one that ignores stdin); its exit code, not the broken pipe, says how it went.
    stream.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? resolve() : reject(error)));
  });
  // end() sends FIN: Docker closes the command's stdin, so it sees EOF instead of waiting forever.
  if (withStdin) stream.end(stdin);
  try {
    await ended;
  } finally {
    // Output has ended, so the command has too: input it never read would hold the socket open.
    stream.destroy();
  }
  return { stdout: stdout.text(), stderr: stderr.text(), exitCode: await exitCodeOf(exec, abort) };
}

async function exitCodeOf(exec: Docker.Exec, abort: AbortSignal): Promise<number> {
  // Once the deadline has passed nobody waits for the answer; stop asking.
  while (!abort.aborted) {
    const info = await exec.inspect({ abortSignal: abort });
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((resolve) => setTimeout(resolve, INSPECT_RETRY_MS));
  }
  throw new Error('abandoned after the deadline');
}

/** A program that never started is an error, not a result. */
function checkStarted(locator: string, argv: readonly string[], result: ExecResult): ExecResult {
  const output = `${result.stdout}${result.stderr}`;
  if ((result.exitCode !== 126 && result.exitCode !== 127) || !NOT_STARTED.test(output)) return result;
  if (NOT_FOUND.test(output)) {
    throw new ProgramNotFoundError(locator, argv, result.exitCode, output, `${argv[0] ?? ''} not found in container`);
  }
  throw new ExecError(locator, argv, result.exitCode, output, `${argv[0] ?? ''} could not be executed in container`);
}

/** Where demuxStream writes one of the two streams; decoded once, at the end, so UTF-8 split across frames stays whole. */
function collect(): { sink: PassThrough; text: () => string } {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { sink, text: () => Buffer.concat(chunks).toString('utf8') };
}
