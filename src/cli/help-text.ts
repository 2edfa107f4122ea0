import type { CommandDeclaration } from './command-declaration.js';

/** The parts of `--help` that commander does not write: examples, exit codes, environment. */

const PROGRAM = 'pic-reconciler';

export const ROOT_DESCRIPTION =
  'Converge a Personal Internet Cell (WireGuard iptables, policy routes, Caddy VIPs, CoreDNS Corefile) to the desired state in a folder of JSON files.';

function indent(lines: readonly string[]): string {
  return lines.map((line) => `  ${line}`).join('\n');
}

export function commandHelpFooter(command: CommandDeclaration): string {
  return `\nExamples:\n${indent(command.examples)}\n\nExit codes: ${command.exitCodes}\n`;
}

export function rootHelpFooter(commands: readonly CommandDeclaration[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const examples = commands
    .filter((c) => ['validate', 'plan', 'apply', 'run'].includes(c.name))
    .map((c) => c.examples[0] ?? '');
  return [
    '',
    'Examples:',
    indent([...examples, `${PROGRAM} plan --help          # every flag of a command, with an example`]),
    '',
    'Exit codes:',
    indent(commands.filter((c) => c.exitCodes !== '0').map((c) => `${c.name.padEnd(width)}  ${c.exitCodes}`)),
    '',
    'Environment:',
    indent([
      'PIC_STATE    the state folder when --state is absent',
      'PIC_CONFIG   the config file when --config is absent (then /etc/pic-reconciler/config.json, then built-in defaults)',
      'NO_COLOR     no colour (plan and apply colour + - ~ only when stdout is a terminal)',
    ]),
    '',
  ].join('\n');
}

/** Commander's error text ("error: unknown option '--x'\n(Did you mean --y?)") as one line of ours. */
export function oneLineError(text: string, helpCommand: string): string {
  const message = text
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  return `${PROGRAM}: ${message} (see ${helpCommand})\n`;
}
