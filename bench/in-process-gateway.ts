/**
 * The gateway run in this process from its TypeScript sources (through tsx): for profiling with
 * `node --cpu-prof` (profile.ts) and the in-process A/B (ab.ts). Not for comparisons with other processes:
 * its CPU competes with the benchmark's own clients on one thread (issue 4 runs gateway-process.ts instead).
 * Listens on 127.0.0.1, port 0; the audit log goes to a temporary directory removed by close().
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createGateway, type Gateway } from '../gateway-image/src/gateway.js';
import { loadGatewayConfig } from '../gateway-image/src/load-config.js';
import { createLogger } from '../gateway-image/src/logger.js';
import { BENCH_LABEL, RUN_LABEL } from './containers.js';

/** A started in-process gateway. */
export interface InProcessGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

/** Starts a gateway with `config` (the config file's JSON) and `env` on top of bench defaults. */
export async function startInProcessGateway(config: unknown, env: Record<string, string> = {}): Promise<InProcessGateway> {
  const token = 'bench-token-0123456789abcdef';
  const auditDir = mkdtempSync(join(tmpdir(), 'mcp-bench-audit-'));
  const cfg = loadGatewayConfig({
    env: {
      MCP_GATEWAY_HOST: '127.0.0.1', MCP_GATEWAY_PORT: '0',
      MCP_GATEWAY_AUTH_TOKENS: `e2e=${token}`,
      MCP_GATEWAY_CONFIG_JSON: JSON.stringify(config),
      MCP_DOCKER_AUDIT_FILE: join(auditDir, 'audit.log'),
      MCP_DOCKER_LOG_LEVEL: 'warn',
      ...env,
    },
  });
  const gateway = createGateway(cfg, {
    logger: createLogger(cfg.logging),
    // What main.ts passes: command upstreams get PATH and HOME, nothing else from our environment.
    commandEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
    upstreamContainerLabels: { [BENCH_LABEL.split('=')[0]]: '1', [RUN_LABEL.split('=')[0]]: RUN_LABEL.split('=')[1] },
  });
  let address: AddressInfo;
  try {
    address = await gateway.start();
  } catch (err) {
    rmSync(auditDir, { recursive: true, force: true });
    throw err;
  }
  return {
    gateway, token, url: `http://127.0.0.1:${address.port}`,
    async close() {
      await gateway.close();
      rmSync(auditDir, { recursive: true, force: true });
    },
  };
}
