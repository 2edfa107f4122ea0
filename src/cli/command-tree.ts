import type { Command, Option } from 'commander';
import type { CommandTree, TreeOption } from './command-declaration.js';

/** The command tree the completion scripts are generated from, read off the parser itself. */

function valueOf(option: Option): TreeOption['value'] {
  if (!option.required && !option.optional) return null;
  if (/<dir>|\[dir\]/.test(option.flags)) return 'dir';
  if (/<file>|\[file\]/.test(option.flags)) return 'file';
  return 'other';
}

function treeOption(option: Option): TreeOption | null {
  if (option.hidden || option.long === undefined) return null;
  // The first line only: the help's "e.g." line is for --help, not for a completion menu.
  const help = option.description.split('\n')[0] ?? '';
  return { long: option.long, ...(option.short ? { short: option.short } : {}), help, value: valueOf(option) };
}

const HELP: TreeOption = { long: '--help', short: '-h', help: 'print the help', value: null };

export function commandTree(program: Command): CommandTree {
  const commands = program.commands.map((command) => ({
    name: command.name(),
    summary: command.summary() || command.description(),
    options: [...command.options.flatMap((o) => treeOption(o) ?? []), HELP],
    argumentChoices: command.registeredArguments[0]?.argChoices ?? [],
    argumentIsFile: /-?file$/.test(command.registeredArguments[0]?.name() ?? ''),
  }));
  const help = {
    name: 'help',
    summary: 'print the help of a command',
    options: [],
    argumentChoices: commands.map((c) => c.name),
    argumentIsFile: false,
  };
  const globalFlags = [
    ...program.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)),
    '--help',
    '-h',
  ];
  return { program: program.name(), globalFlags, commands: [...commands, help] };
}
