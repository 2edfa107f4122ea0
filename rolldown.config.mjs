// The CLI as one ES-module bundle: dist/cli/main.js and its chunks in dist/cli/chunks/, loaded by
// plain `node` through Node's own loader, for every command (`run` included).
// tsc's dist/cli/ would load some 130 modules for `validate` (zod alone is 95 files, 60 of them
// locales), and each costs start-up time. The bundle keeps each command a lazily loaded chunk,
// takes in only zod, commander and immer, and leaves every other package external, imported from
// node_modules as usual (pino's transports, prom-client, chokidar, Docker).
// `npm run build` empties dist/, runs tsc, then this: the bundle's main.js replaces tsc's. A later tsc alone
// writes tsc's main.js back, which imports tsc's modules: either way one program for every command.
const BUNDLED = new Set(['zod', 'commander', 'immer']);
const packageOf = (id) => (id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]);

export default {
  input: { main: 'src/cli/main.ts' },
  platform: 'node',
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('node:') && !BUNDLED.has(packageOf(id)),
  output: {
    dir: 'dist/cli',
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    sourcemap: true,
  },
};
