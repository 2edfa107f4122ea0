#!/usr/bin/env node
import { createRequire } from 'node:module';

/**
 * The `pic-reconciler` command. `npm run build` bundles the CLI into bundle/ (a file per command,
 * with zod, commander and immer inside) and writes the bundle's code caches, which make the
 * one-shot commands start fast. `run`, the long-running controller, and a build by tsc alone (the
 * container image) load the same CLI from tsc's modules through Node's own loader: start-up does
 * not matter there, and it keeps what the code-cache loader does not do (ES modules such as
 * chokidar by import, source maps, policies).
 * The loader is CommonJS, and this file imports one built-in: each built-in an ES module imports
 * costs start-up time.
 */
const require = createRequire(import.meta.url);
const { bundleEntry, requireWithCodeCache } = require('./code-cache.cjs') as typeof import('./code-cache.cjs');
const command = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const entry = command === 'run' ? null : bundleEntry();
if (entry !== null) requireWithCodeCache(entry);
else await import('./cli-entry.js');
