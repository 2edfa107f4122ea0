#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runValidate } from './commands/validate.js';
import { runPlan } from './commands/plan.js';
import { runApply } from './commands/apply.js';

const HELP = `pic-reconciler: converge a Personal Internet Cell to the state in a folder of JSON files

Usage:
  pic-reconciler validate --state DIR
  pic-reconciler plan     --state DIR [--config FILE] [--from DIR] [--json]
  pic-reconciler apply    --state DIR [--config FILE] [--dry-run]
  pic-reconciler run      --state DIR [--config FILE] [--listen HOST:PORT] [--allow-mass-delete]
  pic-reconciler status   [--listen HOST:PORT] [--json]
  pic-reconciler import   --out DIR [--config FILE] [--from DIR]
  pic-reconciler explain  --state DIR --from X --to Y [--port N] [--proto tcp|udp] [--desired] [--from-dump DIR] [--config FILE] [--json]

Exit codes: validate 0 valid, 1 invalid; plan 0 nothing to do, 2 changes pending, 1 error;
apply 0 converged, 1 error; run 0 on SIGTERM/SIGINT; status 0 ready, 1 not;
import 0 state written and valid, 1 error; explain 0 answered, 1 error.

import reads a live cell that the seed (firewall_manager.py) manages, or one saved as for
plan --from, and writes the state directory that reproduces its access rules.
`;

const OPTIONS = {
  state: { type: 'string' },
  config: { type: 'string' },
  from: { type: 'string' },
  json: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  listen: { type: 'string' },
  'allow-mass-delete': { type: 'boolean', default: false },
  out: { type: 'string' },
  to: { type: 'string' },
  port: { type: 'string' },
  proto: { type: 'string' },
  desired: { type: 'boolean', default: false },
  'from-dump': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export type CliValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

type Command = (values: CliValues) => Promise<number>;

async function loadCommand(name: string): Promise<Command | null> {
  switch (name) {
    case 'validate':
      return runValidate;
    case 'plan':
      return runPlan;
    case 'apply':
      return runApply;
    case 'run':
      return (await import('./commands/run.js')).runController;
    case 'status':
      return (await import('./commands/status.js')).runStatus;
    case 'import':
      return (await import('./commands/import.js')).runImport;
    case 'explain':
      return (await import('./commands/explain.js')).runExplainCommand;
    default:
      return null;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`pic-reconciler: ${(error as Error).message}\n`);
    return 1;
  }
  const [name] = parsed.positionals;
  if (parsed.values.help || name === undefined || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined && !parsed.values.help ? 1 : 0;
  }
  const command = await loadCommand(name);
  if (command === null) {
    process.stderr.write(`pic-reconciler: unknown command "${name}"; see pic-reconciler --help\n`);
    return 1;
  }
  return command(parsed.values);
}

/**
 * A request to a Docker daemon that stopped answering can outlive its deadline and keep the
 * event loop alive; once a command is done, give output a moment to drain, then exit regardless.
 */
const EXIT_GRACE_MS = 2_000;

function finish(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}

main(process.argv.slice(2)).then(finish, (error: unknown) => {
  process.stderr.write(`pic-reconciler: ${error instanceof Error ? error.message : String(error)}\n`);
  finish(1);
});
