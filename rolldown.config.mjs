// The CLI as a CommonJS bundle in dist/cli/bundle/, which dist/cli/main.js requires with V8 code
// caches for every command but `run` (src/cli/code-cache.cts: vm.Script takes a cache, an ES module
// cannot be given one on Node 20).
// tsc's dist/cli/ would load some 130 modules for `validate` (zod alone is 95 files, 60 of them
// locales), and each costs start-up time. The bundle keeps each command a lazily loaded chunk,
// takes in only zod, commander and immer, and leaves every other package external, loaded from
// node_modules as usual (pino's transports, prom-client, Docker).
import { rmSync } from 'node:fs';

const BUNDLED = new Set(['zod', 'commander', 'immer']);
const packageOf = (id) => (id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]);

// dist/cli/chunks: where builds before the code caches put their chunks.
for (const old of ['dist/cli/bundle', 'dist/cli/chunks']) rmSync(old, { recursive: true, force: true });

export default {
  input: 'src/cli/cli-entry.ts',
  platform: 'node',
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('node:') && !BUNDLED.has(packageOf(id)),
  output: {
    dir: 'dist/cli/bundle',
    format: 'cjs',
    entryFileNames: '[name].cjs',
    chunkFileNames: 'chunks/[name]-[hash].cjs',
    // A vm.Script (code-cache.cts) has no loader for import(): an external's dynamic import is a require.
    dynamicImportInCjs: false,
    // Strict like the ES modules it is made of (tsc's build): a write to a frozen state must throw.
    strict: true,
    sourcemap: true,
  },
};
