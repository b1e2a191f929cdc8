import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // A worker thread the code under test starts from TypeScript source (the audit log's
    // tree check, src/audit/storage/tree-check.ts) runs the process's --import preloads;
    // this one lets it load TypeScript. src/ itself never names a loader.
    execArgv: ['--import', new URL('./tools/ts-worker-loader.mjs', import.meta.url).href],
  },
});
