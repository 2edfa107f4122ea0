#!/usr/bin/env node
import { createRequire } from 'node:module';

/**
 * The `pic-reconciler` command. `npm run build` bundles the CLI into bundle/ (a file per command,
 * with zod, commander and immer inside) and writes the bundle's code caches; a build by tsc alone
 * (the container image) has no bundle and runs the same CLI from the compiled modules.
 * The loader is CommonJS, and this file imports one built-in: each built-in an ES module imports
 * costs start-up time.
 */
const require = createRequire(import.meta.url);
const { bundleEntry, requireWithCodeCache } = require('./code-cache.cjs') as typeof import('./code-cache.cjs');
const entry = bundleEntry();
if (entry !== null) requireWithCodeCache(entry);
else await import('./cli-entry.js');
