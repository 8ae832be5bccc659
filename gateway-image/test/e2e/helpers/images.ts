/** Names shared by the e2e tests and their global setup. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The local base image scripts/build-base-image.sh builds (node + busybox + tini, no registry). */
export const BASE_IMAGE = process.env.MCP_TEST_BASE_IMAGE ?? 'mcp-gateway-base:local';
/**
 * The gateway image the global setup builds from gateway-image/. MCP_TEST_GATEWAY_IMAGE names another tag, so
 * two checkouts can run their e2e suites on one engine without replacing each other's image.
 */
export const GATEWAY_IMAGE = process.env.MCP_TEST_GATEWAY_IMAGE ?? 'mcp-gateway:test';
/** Label on every container and image the tests create; teardown removes whatever still carries it. */
export const TEST_LABEL = 'mcp.gateway.test=1';
/** gateway-image/, the build context. */
export const gatewayContext = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Label naming the test run (set by the global setup), so concurrent runs never remove each other's containers. */
export const RUN_LABEL = 'mcp.gateway.test.run';
