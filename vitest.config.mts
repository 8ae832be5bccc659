import { defineConfig } from 'vitest/config';

/**
 * Three projects, one run:
 * - stack: the CDKTF constructs, config loader and guardrails (no Docker needed);
 * - gateway-unit: the gateway's pure core (policy, audit, config, pipeline) with fakes;
 * - gateway-e2e: the built image and real upstream servers on the real Docker engine.
 * scripts/test.sh starts the engine and builds the base image before vitest runs.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'stack',
          include: ['__tests__/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'gateway-unit',
          include: ['gateway-image/test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'gateway-e2e',
          include: ['gateway-image/test/e2e/**/*.test.ts'],
          globalSetup: ['gateway-image/test/e2e/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // One engine, two cores: files run one after another so timings and limits stay meaningful.
          fileParallelism: false,
        },
      },
    ],
  },
});
