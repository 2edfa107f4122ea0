import { existsSync, readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { Script } from 'node:vm';

/**
 * V8 code caches for the CLI bundle. `npm run build` writes one beside each bundle file
 * (`write-code-cache.ts`); at run time they are only read, so a cold `validate` skips compiling
 * some 600 kB of JavaScript (zod, commander and ours), about a third of its start-up.
 *
 * Not v8-compile-cache: it writes its caches at run time into the temp folder, and a controller
 * running as root must not load code from a folder other users can write. These sit in the
 * package's own folder, written once by the build, with the same owner as the code itself.
 *
 * A cache is code: whoever can write one can run code that the .cjs beside it does not show, so
 * it needs the protection the code has (same owner, not writable by others). What the copy of
 * the source inside it catches is a stale cache, after a .cjs changed: it is compared byte for
 * byte (V8 itself checks only the source's length; a hash would cost more, loading node:zlib or
 * node:crypto takes longer than the comparison). V8 rejects a cache made by another Node version
 * or with other V8 flags (--max-old-space-size, --stack-size, ...). Either way the file compiles
 * from source as usual, only slower.
 */

const MAGIC = 0x50494343; // "PICC"
const HEADER_BYTES = 8;

export const CACHE_SUFFIX = '.v8cache';

/** The bundle's entry beside this file (dist/cli/bundle/cli-entry.cjs), or null for a build by tsc alone. */
export function bundleEntry(): string | null {
  const entry = join(__dirname, 'bundle', 'cli-entry.cjs');
  return existsSync(entry) ? entry : null;
}

interface CompilingModule {
  exports: unknown;
  _compile(content: string, filename: string): unknown;
}

const moduleProto = (Module as unknown as { prototype: CompilingModule }).prototype;

/** A cache file as the build writes it: magic, the source's length, the source, V8's data. */
export function encodeCodeCache(source: string, data: Buffer): Buffer {
  const sourceBytes = Buffer.from(source, 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt32BE(sourceBytes.length, 4);
  return Buffer.concat([header, sourceBytes, data]);
}

/** V8's data when the file holds a cache made from `source`; undefined otherwise. */
export function decodeCodeCache(file: Buffer, source: string): Buffer | undefined {
  if (file.length <= HEADER_BYTES || file.readUInt32BE(0) !== MAGIC) return undefined;
  const end = HEADER_BYTES + file.readUInt32BE(4);
  if (end >= file.length || !file.subarray(HEADER_BYTES, end).equals(Buffer.from(source, 'utf8'))) return undefined;
  return file.subarray(end);
}

function readCache(filename: string, source: string): Buffer | undefined {
  try {
    return decodeCodeCache(readFileSync(filename + CACHE_SUFFIX), source);
  } catch {
    return undefined;
  }
}

/**
 * One bundle file as a script of Node's CommonJS wrapper. The loader, the recording and the
 * build all compile through here: a cache fits only a script compiled the same way.
 */
export function compileBundleFile(source: string, filename: string, cachedData?: Buffer): Script {
  return new Script(Module.wrap(source), { filename, ...(cachedData === undefined ? {} : { cachedData }) });
}

/** Compiles and runs one CommonJS file as Node's loader would, through a vm.Script that can take a cache. */
function runScript(module: CompilingModule, script: Script, filename: string): unknown {
  const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
  return wrapper.call(module.exports, module.exports, createRequire(filename), module, filename, dirname(filename));
}

/**
 * Routes the compilation of every CommonJS file under `dir` through `compile`; other files
 * (node_modules) compile as usual.
 */
function hookCompile(dir: string, compile: (source: string, filename: string) => Script): void {
  const original = moduleProto._compile;
  const prefix = dir.endsWith(sep) ? dir : dir + sep;
  moduleProto._compile = function (this: CompilingModule, content: string, filename: string) {
    // A hashbang line is valid only at the very start of a script, not inside the wrapper.
    if (!filename.startsWith(prefix) || content.startsWith('#!')) return original.call(this, content, filename);
    return runScript(this, compile(content, filename), filename);
  };
}

/** Requires the bundle's entry, each of its files compiled with its code cache where one fits. */
export function requireWithCodeCache(entry: string): unknown {
  // What Node's own loader does and this one does not: map stack traces, check a policy's hashes.
  const nodeMustLoad =
    process.sourceMapsEnabled || process.execArgv.some((flag) => flag.startsWith('--experimental-policy'));
  if (nodeMustLoad) return createRequire(entry)(entry);
  hookCompile(dirname(entry), (source, filename) => compileBundleFile(source, filename, readCache(filename, source)));
  return createRequire(entry)(entry);
}

export interface RecordedScript {
  readonly source: string;
  readonly script: Script;
}

/** Build time: requires the entry compiling every bundle file from source, and hands back the scripts by file. */
export function requireRecording(entry: string): ReadonlyMap<string, RecordedScript> {
  const scripts = new Map<string, RecordedScript>();
  hookCompile(dirname(entry), (source, filename) => {
    const script = compileBundleFile(source, filename);
    scripts.set(filename, { source, script });
    return script;
  });
  createRequire(entry)(entry);
  return scripts;
}
