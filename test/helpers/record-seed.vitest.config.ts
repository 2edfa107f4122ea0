import { defineConfig } from 'vitest/config';

/** For scripts/record-seed.sh only: the recorder is no test, so the suite's config never picks it up. */
export default defineConfig({
  test: { include: ['test/helpers/record-seed.run.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
