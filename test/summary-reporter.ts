import type { Reporter, TestModule, Vitest } from 'vitest/node';

/**
 * Prints one machine-readable line after the default reporter's summary:
 * `Tests: N passed, N failed, N skipped`. A file that fails before any test runs (an import error,
 * a failing beforeAll) counts as one failure, so a broken file can never read as "0 failed".
 */
export default class SummaryReporter implements Reporter {
  private vitest?: Vitest;

  onInit(vitest: Vitest) {
    this.vitest = vitest;
  }

  async onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      let moduleFailures = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') moduleFailures++;
        else if (state === 'skipped') skipped++;
      }
      if (moduleFailures === 0 && module.state() === 'failed') moduleFailures = 1;
      failed += moduleFailures;
    }
    // Let the other reporters finish their summaries first, so this stays the very last line.
    await new Promise((resolve) => setImmediate(resolve));
    const line = `Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`;
    if (this.vitest) this.vitest.logger.log(line);
    else console.log(line);
  }
}
