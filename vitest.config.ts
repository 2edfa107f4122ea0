import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Stops, after the last file, whatever the files started for the whole run (a dockerd).
    globalSetup: ['test/helpers/global-setup.ts'],
    // Integration suites share the kernel's netns list and dockerd; run files one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
