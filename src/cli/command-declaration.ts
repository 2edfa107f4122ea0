import type { CliValues } from './cli-values.js';

/**
 * A CLI command as data: what `--help` and the completion scripts show, and a handler that is
 * imported only when the command runs (so `validate` never loads Docker, pino or prom-client).
 * One declaration per file in `declarations/`, listed once in `declarations/all-commands.ts`.
 */

export interface OptionDeclaration {
  /** Commander flags: `--state <dir>`. The value's name picks its completion: `<dir>` folders, `<file>` files. */
  readonly flags: string;
  /** What it does, one sentence. */
  readonly help: string;
  /** A use of the flag, shown after its help: `--state ./state`. */
  readonly example: string;
  /** An environment variable read when the flag is absent. */
  readonly env?: string;
  /** An old name kept working: a note on stderr, then the value is taken as this flag's (long name). */
  readonly deprecatedFor?: string;
}

export interface ArgumentDeclaration {
  /** `<shell>` (required) or `[shell]`. */
  readonly name: string;
  readonly help: string;
  readonly choices?: readonly string[];
}

export interface CommandContext {
  /** Positional arguments, in declaration order. */
  readonly args: readonly string[];
  /** The whole command tree, for commands that describe the CLI itself (completion). */
  readonly tree: CommandTree;
}

/** Runs the command; resolves to the exit code. */
export type CommandHandler = (values: CliValues, context: CommandContext) => Promise<number>;

export interface CommandDeclaration {
  readonly name: string;
  /** One line for the root help's command list. */
  readonly summary: string;
  /** A paragraph for the command's own help (defaults to the summary). */
  readonly description?: string;
  readonly options: readonly OptionDeclaration[];
  readonly arguments?: readonly ArgumentDeclaration[];
  /** Whole command lines, shown under "Examples:". */
  readonly examples: readonly string[];
  /** Shown under "Exit codes:". */
  readonly exitCodes: string;
  /** Loads the handler: `async () => (await import('../commands/plan.js')).runPlan`. */
  readonly load: () => Promise<CommandHandler>;
}

/** The CLI as the completion scripts see it: derived from the parser's tree, so it cannot drift. */
export interface CommandTree {
  readonly program: string;
  readonly globalFlags: readonly string[];
  readonly commands: readonly TreeCommand[];
}

export interface TreeCommand {
  readonly name: string;
  readonly summary: string;
  readonly options: readonly TreeOption[];
  /** Words the first positional argument takes, if it is a fixed choice. */
  readonly argumentChoices: readonly string[];
  /** The first positional argument is a file name (`<plan-file>`): zsh completes files there; bash falls back to them anyway. */
  readonly argumentIsFile: boolean;
}

export interface TreeOption {
  readonly long: string;
  readonly short?: string;
  readonly help: string;
  /** What the option's value completes to; null for a flag without a value. */
  readonly value: 'dir' | 'file' | 'other' | null;
}
