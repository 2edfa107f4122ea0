/**
 * A target is where commands run: a Docker container, a network namespace, or this host.
 * Everything the controller does to a live cell goes through one of these.
 */

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface ExecOptions {
  /** Written to the command's standard input, which is then closed. */
  readonly stdin?: string;
  readonly timeoutMs?: number;
}

export interface Target {
  /** The locator it was made from, e.g. `docker:cell-wireguard`; used in every message. */
  readonly locator: string;
  /** Runs argv (no shell) and resolves with its result whatever the exit code; rejects with ExecError when it cannot run at all or times out. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
}

/** Finds the api container's address (§7: docker:NAME, ip:ADDR, netns:NAME, local). */
export interface ApiAddressSource {
  readonly locator: string;
  /**
   * The api's IPv4 address, null when there is none (a stopped container). `ipRange` is the Cell's
   * network: a container on several Docker networks is reached on the one inside it.
   */
  address(ipRange: string | null): Promise<string | null>;
}

/** Makes CoreDNS reload its Corefile (SIGUSR1), or does nothing for `none`. */
export interface DnsReloader {
  readonly locator: string;
  /** True after a reload that failed: the Corefile on disk is newer than what CoreDNS runs. */
  readonly reloadPending: boolean;
  reload(): Promise<void>;
}

/** A command that could not run, timed out, or failed; carries what a person needs to act. */
export class ExecError extends Error {
  constructor(
    readonly target: string,
    readonly command: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    detail?: string,
  ) {
    super(
      `${target}: ${command.join(' ')}: ${detail ?? (exitCode === null ? 'could not run' : `exit ${exitCode}`)}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
    );
    this.name = 'ExecError';
  }
}

/** The program does not exist where the command was to run: nothing ran, so trying another way is safe. */
export class ProgramNotFoundError extends ExecError {
  constructor(target: string, command: readonly string[], exitCode: number | null, stderr: string, detail: string) {
    super(target, command, exitCode, stderr, detail);
    this.name = 'ProgramNotFoundError';
  }
}
