/** Small helpers shared by the CLI commands; all output goes through here. */

export function requireOption(value: string | undefined, flag: string): string | null {
  if (value !== undefined && value !== '') return value;
  process.stderr.write(`pic-reconciler: ${flag} is required\n`);
  return null;
}

export function printError(message: string): void {
  process.stderr.write(`pic-reconciler: ${message}\n`);
}
