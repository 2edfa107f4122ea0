import { ExecError, ProgramNotFoundError, type ExecOptions, type ExecResult, type Target } from '../model/target.js';
import { withAbortableDeadline } from './deadline.js';
import { dockerClient, dockerExecError } from './docker-client.js';
import type { DockerEngine, ExecConnection } from './docker-engine.js';
import { collectStreamOutput } from './docker-stream-frames.js';
import { timeoutOf, type TargetOptions } from './exec-defaults.js';

// runc's words when the program cannot be started (exit 126 or 127); a shell's own 127 is a result.
const NOT_STARTED = /OCI runtime exec failed|unable to start container process/;
const NOT_FOUND = /executable file not found|no such file or directory/i;
// Docker records the exit code a moment after the output stream ends.
const INSPECT_RETRY_MS = 20;

/**
 * Runs commands in a container (`docker:NAME`) through the Docker API, without the docker CLI.
 * On timeout the connection is dropped; Docker cannot kill an exec'd process, so one that truly
 * hangs keeps running in the container until it ends by itself.
 */
export function createDockerTarget(name: string, options?: TargetOptions): Target {
  const locator = `docker:${name}`;
  return {
    locator,
    async exec(argv: readonly string[], call?: ExecOptions): Promise<ExecResult> {
      const timeoutMs = timeoutOf(call?.timeoutMs, options);
      const connection: Connection = { exec: null };
      try {
        // Past the deadline, the exec's connection and any API request still in flight are dropped.
        const result = await withAbortableDeadline(
          timeoutMs,
          (abort) => runExec(dockerClient(), name, argv, call?.stdin, connection, abort),
          () => connection.exec?.destroy(),
        );
        return checkStarted(locator, argv, result);
      } catch (error) {
        throw dockerExecError(locator, argv, error);
      }
    },
  };
}

/** The exec's connection, so a deadline can drop it even when it opens late. */
interface Connection {
  exec: ExecConnection | null;
}

async function runExec(
  docker: DockerEngine,
  name: string,
  argv: readonly string[],
  stdin: string | undefined,
  connection: Connection,
  abort: AbortSignal,
): Promise<ExecResult> {
  const withStdin = stdin !== undefined;
  const id = await docker.createExec(name, { Cmd: [...argv], AttachStdin: withStdin, AttachStdout: true, AttachStderr: true }, abort);
  const exec = await docker.startExec(id, { stdin: withStdin, abort });
  connection.exec = exec;
  if (abort.aborted) {
    exec.destroy();
    throw new Error('abandoned after the deadline');
  }
  const output = collectStreamOutput();
  const ended = new Promise<void>((resolve, reject) => {
    exec.output.on('data', (chunk: Buffer) => output.push(chunk));
    exec.output.on('end', resolve);
    exec.output.on('close', resolve);
    // EPIPE: the command ended without reading all its input (a program that was not found,
    // one that ignores stdin); its exit code, not the broken pipe, says how it went.
    exec.output.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? resolve() : reject(error)));
  });
  // The half-close sends FIN: Docker closes the command's stdin, so it sees EOF instead of waiting forever.
  if (withStdin) exec.endInput(stdin);
  try {
    await ended;
  } finally {
    // Output has ended, so the command has too: input it never read would hold the socket open.
    exec.destroy();
  }
  return { stdout: output.stdout(), stderr: output.stderr(), exitCode: await exitCodeOf(docker, id, abort) };
}

async function exitCodeOf(docker: DockerEngine, id: string, abort: AbortSignal): Promise<number> {
  // Once the deadline has passed nobody waits for the answer; stop asking.
  while (!abort.aborted) {
    const info = await docker.inspectExec(id, abort);
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
