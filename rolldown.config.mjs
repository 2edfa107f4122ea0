// The CLI entry as a bundle: tsc's dist/cli/main.js would load some 130 modules for `validate`
// (zod alone is 95 files, 60 of them locales), and each costs start-up time. The bundle keeps each
// command a lazily loaded chunk, takes in only zod, commander and immer, and leaves every other
// package external, loaded from node_modules as usual (pino's transports, prom-client, Docker).
// Chunks sit one level below dist/cli/, as dist/cli/commands/ does.
import { rmSync } from 'node:fs';

const BUNDLED = new Set(['zod', 'commander', 'immer']);
const packageOf = (id) => (id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]);

rmSync('dist/cli/chunks', { recursive: true, force: true });

export default {
  input: 'src/cli/main.ts',
  platform: 'node',
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('node:') && !BUNDLED.has(packageOf(id)),
  output: {
    dir: 'dist/cli',
    format: 'esm',
    entryFileNames: 'main.js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    sourcemap: true,
  },
};
