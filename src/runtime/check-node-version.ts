#!/usr/bin/env node
// ExecStartPre of deploy/pic-reconciler.service: one clear line and exit 1 on a Node too old to run the controller.
import { nodeVersionProblem } from './node-version-problem.js';

const problem = nodeVersionProblem(process.version);
if (problem !== null) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
