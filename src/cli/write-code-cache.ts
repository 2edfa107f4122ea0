import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CACHE_SUFFIX,
  compileBundleFile,
  encodeCodeCache,
  requireRecording,
  type RecordedScript,
} from './code-cache.cjs';

/**
 * `npm run build`'s last step: runs `validate` of the example state from the bundle, then writes
 * a code cache beside each bundle file. A file that validate ran carries the functions it
 * compiled on the way; any other file (run's, apply's) carries its top level.
 */

const bundleDir = fileURLToPath(new URL('./bundle/', import.meta.url));
const entry = join(bundleDir, 'cli-entry.cjs');
const exampleState = fileURLToPath(new URL('../../state', import.meta.url));
// The repository's config, not this machine's ($PIC_CONFIG, /etc/pic-reconciler): the same run everywhere.
const exampleConfig = fileURLToPath(new URL('../../deploy/config.json', import.meta.url));

function cacheOf(file: string, recorded: RecordedScript | undefined): Buffer {
  if (recorded !== undefined) return encodeCodeCache(recorded.source, recorded.script.createCachedData());
  const source = readFileSync(file, 'utf8');
  return encodeCodeCache(source, compileBundleFile(source, file).createCachedData());
}

for (const name of Object.keys(process.env)) if (name.startsWith('PIC_')) delete process.env[name];
process.argv = [process.argv[0] ?? 'node', entry, 'validate', '--state', exampleState, '--config', exampleConfig];
const recorded = requireRecording(entry);

process.on('exit', (code) => {
  const files = readdirSync(bundleDir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.cjs'))
    .map((name) => join(bundleDir, name));
  let bytes = 0;
  for (const file of files) {
    const cache = cacheOf(file, recorded.get(file));
    writeFileSync(file + CACHE_SUFFIX, cache);
    bytes += cache.length;
  }
  process.stdout.write(
    `code cache: ${files.length} files (${recorded.size} run by validate, which exited ${code}), ${Math.round(bytes / 1024)} kB\n`,
  );
  // The example state is valid: a validate that says otherwise is a broken build.
  process.exitCode = code === 0 ? 0 : 1;
});
