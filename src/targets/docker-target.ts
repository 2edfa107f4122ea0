import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { ExecError, type ExecOptions, type ExecResult, type Target } from '../model/target.js';
import { withDeadline } from './deadline.js';
import { dockerClient, dockerExecError } from './docker-client.js';
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
      const connection: Connection = { stream: null, abandoned: false };
      try {
        const result = await withDeadline(runExec(dockerClient(), name, argv, call?.stdin, connection), timeoutMs, () => {
          connection.abandoned = true;
          connection.stream?.destroy();
        });
        return checkStarted(locator, argv, result);
      } catch (error) {
        throw dockerExecError(locator, argv, error);
      }
    },
  };
}

/** The exec's connection, so a deadline can drop it even when it opens late. */
interface Connection {
  stream: Duplex | null;
  abandoned: boolean;
}

async function runExec(
  docker: Docker,
  name: string,
  argv: readonly string[],
  stdin: string | undefined,
  connection: Connection,
): Promise<ExecResult> {
  const withStdin = stdin !== undefined;
  const exec = await docker.getContainer(name).exec({
    Cmd: [...argv],
    AttachStdin: withStdin,
    AttachStdout: true,
    AttachStderr: true,
  });
  // With stdin the connection is hijacked (Upgrade: tcp), so it can be half-closed after the input.
  const stream = await exec.start(withStdin ? { hijack: true, stdin: true } : {});
  connection.stream = stream;
  if (connection.abandoned) stream.destroy();
  const stdout = collect();
  const stderr = collect();
  docker.modem.demuxStream(stream, stdout.sink, stderr.sink);
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  // end() sends FIN: Docker closes the command's stdin, so it sees EOF instead of waiting forever.
  if (withStdin) stream.end(stdin);
  await ended;
  return { stdout: stdout.text(), stderr: stderr.text(), exitCode: await exitCodeOf(exec, connection) };
}

async function exitCodeOf(exec: Docker.Exec, connection: Connection): Promise<number> {
  // Once the deadline has passed nobody waits for the answer; stop asking.
  while (!connection.abandoned) {
    const info = await exec.inspect();
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
    throw new ExecError(locator, argv, result.exitCode, output, `${argv[0] ?? ''} not found in container`);
  }
  throw new ExecError(locator, argv, result.exitCode, output, `${argv[0] ?? ''} could not be executed in container`);
}

function collect(): { sink: PassThrough; text: () => string } {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { sink, text: () => Buffer.concat(chunks).toString('utf8') };
}
