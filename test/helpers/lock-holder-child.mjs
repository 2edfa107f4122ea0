// Takes a cell lock and keeps it: node lock-holder-child.mjs DIST_DIR FOLDER LOCATOR [CHILD_SECONDS]
// With CHILD_SECONDS, it then starts `sleep CHILD_SECONDS` the way every write command is
// started (spawnCommand), and says "child" once it runs: a stand-in for an iptables-restore in flight.
import { join } from 'node:path';

const [distDir, folder, locator, childSeconds] = process.argv.slice(2);
const { acquireCellLock } = await import(join(distDir, 'lock/cell-lock.js'));
const { spawnCommand } = await import(join(distDir, 'targets/spawn-command.js'));

const held = await acquireCellLock(locator, { folder });
if (!held.ok) {
  process.stdout.write(`refused ${held.error}\n`);
  process.exit(1);
}
process.stdout.write('held\n');
if (childSeconds !== undefined) {
  void spawnCommand({ locator: 'local', command: ['sleep'], argv: ['sleep', childSeconds], timeoutMs: 120_000 });
  process.stdout.write('child\n');
}
setInterval(() => undefined, 1 << 30);
