import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20000,
    hookTimeout: 20000,
    // Servers bind ports and some tests load the machine: run files one at a time.
    fileParallelism: false,
  },
});
