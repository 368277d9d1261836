import { defineConfig } from 'vitest/config';

// Forks keep each PGlite instance in its own process; browser journeys are slow, so give them room.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    // The default output, then one last line: `Tests: N passed, N failed, N skipped`.
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
