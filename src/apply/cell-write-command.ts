import { isRestoreCommand } from './apply-plan.js';

/** True for an exec that writes the cell: an iptables restore, or an `ip -force -batch` of routes or addresses. */
export function isCellWriteCommand(argv: readonly string[]): boolean {
  return isRestoreCommand(argv) || (argv[0] === 'ip' && argv.includes('-force') && argv.includes('-batch'));
}
