import { Argument, Command, CommanderError, Option } from 'commander';
import { cliValuesFrom } from './cli-values.js';
import type { CommandDeclaration, CommandTree, OptionDeclaration } from './command-declaration.js';
import { commandTree } from './command-tree.js';
import { commandHelpFooter, oneLineError, ROOT_DESCRIPTION, rootHelpFooter } from './help-text.js';

/**
 * The commander program built from the command declarations. Parsing errors (unknown flag, stray
 * argument, missing value) are one line on stderr and exit 1; help and --version exit 0. A
 * command's handler module is imported only once that command is chosen.
 */

function optionOf(declaration: OptionDeclaration): Option {
  const env = declaration.env === undefined ? '' : ` (default: $${declaration.env})`;
  const option = new Option(declaration.flags, `${declaration.help}${env}\ne.g. ${declaration.example}`);
  if (declaration.env !== undefined) option.env(declaration.env);
  if (declaration.deprecatedFor !== undefined) option.hideHelp();
  return option;
}

/** Values by long flag name, with deprecated names folded into their new ones; null after printing why not. */
function valuesByFlag(declaration: CommandDeclaration, command: Command): Map<string, unknown> | null {
  const byFlag = new Map<string, unknown>();
  const opts = command.opts();
  for (const option of command.options) byFlag.set(option.name(), opts[option.attributeName()]);
  for (const old of declaration.options) {
    if (old.deprecatedFor === undefined) continue;
    const name = new Option(old.flags).name();
    const value = byFlag.get(name);
    if (value === undefined) continue;
    if (byFlag.get(old.deprecatedFor) !== undefined) {
      process.stderr.write(
        `pic-reconciler: --${name} and --${old.deprecatedFor} name the same thing; give only --${old.deprecatedFor}\n`,
      );
      return null;
    }
    process.stderr.write(`pic-reconciler: --${name} is deprecated; use --${old.deprecatedFor}\n`);
    byFlag.set(old.deprecatedFor, value);
    byFlag.delete(name);
  }
  return byFlag;
}

function buildProgram(
  declarations: readonly CommandDeclaration[],
  version: string,
  onExit: (code: number) => void,
): Command {
  const program = new Command('pic-reconciler')
    .description(ROOT_DESCRIPTION)
    .version(version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'print the help')
    .helpCommand('help [command]', 'print the help of a command')
    // The descriptions already say which variable stands in for a flag.
    .configureHelp({ optionDescription: (option) => option.description })
    .configureOutput({ outputError: (text, write) => write(oneLineError(text, 'pic-reconciler --help')) })
    .exitOverride()
    .addHelpText('after', rootHelpFooter(declarations));
  let tree: CommandTree | null = null;
  for (const declaration of declarations) {
    const command = program
      .command(declaration.name)
      .summary(declaration.summary)
      .description(declaration.description ?? declaration.summary)
      .configureOutput({
        outputError: (text, write) => write(oneLineError(text, `pic-reconciler ${declaration.name} --help`)),
      })
      .addHelpText('after', commandHelpFooter(declaration));
    for (const argument of declaration.arguments ?? []) {
      const parsed = new Argument(argument.name, argument.help);
      if (argument.choices !== undefined) parsed.choices(argument.choices);
      command.addArgument(parsed);
    }
    for (const option of declaration.options) command.addOption(optionOf(option));
    command.action(async () => {
      const byFlag = valuesByFlag(declaration, command);
      if (byFlag === null) return onExit(1);
      const handler = await declaration.load();
      tree ??= commandTree(program);
      onExit(await handler(cliValuesFrom(byFlag), { args: command.args, tree }));
    });
  }
  return program;
}

function isCommand(program: Command, name: string): boolean {
  return program.commands.some((command) => command.name() === name || command.aliases().includes(name));
}

/** Parses argv and runs the chosen command; resolves to the exit code. */
export async function runCli(
  argv: readonly string[],
  declarations: readonly CommandDeclaration[],
  version: string,
): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(declarations, version, (code) => (exitCode = code));
  // Commander answers `help nope` with the whole usage and no error: parse it as the unknown
  // command itself, so it is the same one-line error (with its typo hint) as `nope`.
  const [first, topic] = argv;
  const unknownTopic = first === 'help' && topic !== undefined && !topic.startsWith('-') && !isCommand(program, topic);
  try {
    await program.parseAsync(unknownTopic ? [topic] : [...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
  return exitCode;
}
