// Runs one confirm window in its own process, as `apply --confirm-within` will:
// node confirm-window-child.mjs DIST_DIR CONFIG_JSON SNAPSHOT_FILE SECONDS
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [distDir, configJson, snapshotFile, seconds] = process.argv.slice(2);
const { controllerConfigSchema, layoutOf } = await import(join(distDir, 'config/controller-config.js'));
const { openCellTargets } = await import(join(distDir, 'targets/open-cell-targets.js'));
const { openConfirmWindow } = await import(join(distDir, 'rollback/confirm-window.js'));

const config = controllerConfigSchema.parse(JSON.parse(configJson));
const window = await openConfirmWindow({
  snapshot: JSON.parse(readFileSync(snapshotFile, 'utf8')),
  targets: openCellTargets(config),
  layout: layoutOf(config),
  statusDir: config.status_dir,
  print: (line) => process.stderr.write(`${line}\n`),
});
// PICT_STEP=1: say "armed" and wait for a line on stdin before the window opens, so a test can break the status folder in between.
const step = process.env.PICT_STEP === '1';
if (step) {
  process.stderr.write('armed\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
}
const result = await window.wait({
  seconds: Number(seconds),
  confirmCommand: 'pic-reconciler confirm',
  ...(step ? {} : { stdin: process.stdin }),
});
process.stdout.write(
  `${JSON.stringify({ end: result.end, restored: result.restore?.restored ?? null, errors: [...result.errors, ...(result.restore?.errors ?? [])] })}\n`,
);
process.exit(result.end === 'confirmed' || result.restore?.restored ? 0 : 1);
