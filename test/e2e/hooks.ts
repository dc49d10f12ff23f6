// Mocha root hooks for e2e: a screenshot of every open VS Code window on failure, and cleanup at the end.
import type { Context } from 'mocha';
import { closeAll, saveScreenshots } from './harness';

export const mochaHooks = {
  async afterEach(this: Context): Promise<void> {
    const test = this.currentTest;
    if (test?.state !== 'failed') return;
    const files = await saveScreenshots(test.fullTitle());
    for (const f of files) process.stderr.write(`[e2e] screenshot: ${f}\n`);
  },
  async afterAll(this: Context): Promise<void> {
    this.timeout(30_000);
    await closeAll();
  },
};
