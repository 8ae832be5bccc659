#!/usr/bin/env node
/**
 * The gateway's one exit point.
 *   node dist/main.js                 serve HTTP (Streamable HTTP, SSE, /rpc, /health, /ready, /metrics)
 *   node dist/main.js --stdio         serve one local client over stdin/stdout
 *   node dist/main.js verify-audit P  check the audit hash chain in file or directory P
 * Config errors print every problem and exit 2; SIGTERM/SIGINT close gracefully within a bound.
 */
import { readFileSync } from 'node:fs';
import { selfContainerIdFrom } from './core/security/self-container-id.js';
import { verifyAuditFiles } from './core/security/verify.js';
import { secretSourceFrom } from './core/upstreams/secret-refs.js';
import { ConfigError } from './errors.js';
import { createGateway } from './gateway.js';
import { inheritedEnv } from './core/upstreams/inherited-env.js';
import { loadGatewayConfig, redactedConfig } from './load-config.js';
import { createLogger } from './logger.js';
import { settleHeap } from './settle-heap.js';

const CLOSE_TIMEOUT_MS = 15_000;

/** The id of the container we run in, from mountinfo (or cgroup v1), when Docker's mounts tell it. */
function selfContainerId(): string | undefined {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined; // not in a container, or no procfs
    }
  };
  return selfContainerIdFrom(read('/proc/self/mountinfo'), read('/proc/self/cgroup'));
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv[0] === 'verify-audit') {
    if (!argv[1]) {
      process.stderr.write('usage: main.js verify-audit <audit file or directory>\n');
      return 2;
    }
    const report = await verifyAuditFiles(argv[1]);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 1;
  }

  let config;
  try {
    config = loadGatewayConfig({ env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logging);
  const stdio = argv.includes('--stdio');
  const gateway = createGateway(config, {
    logger,
    selfContainerId: selfContainerId(),
    commandEnv: inheritedEnv(env),
    secrets: secretSourceFrom(env, (p) => readFileSync(p, 'utf8')),
  });
  logger.info({ config: redactedConfig(config), mode: stdio ? 'stdio' : 'http' }, 'effective configuration');

  let stop!: (signal: string) => void;
  const stopped = new Promise<string>((resolve) => { stop = resolve; });
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  try {
    if (stdio) {
      // Loaded here, not at the top: HTTP mode never needs it (see createGateway on the session side).
      const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
      const server = await gateway.stdioServer({ id: env.USER ?? 'local', authMethod: 'stdio' });
      const transport = new StdioServerTransport();
      transport.onclose = () => stop('stdin closed');
      await server.connect(transport);
    } else {
      await gateway.start();
    }
  } catch (err) {
    await gateway.close().catch(() => undefined);
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    logger.fatal({ err }, 'gateway failed to start');
    return 1;
  }

  // Synchronous, right after start-up: no request is served before it ends.
  const settledMs = settleHeap();
  if (settledMs === undefined) logger.debug('start-up garbage left to V8 (gc not reachable)');
  else logger.debug({ ms: Math.round(settledMs * 10) / 10 }, 'start-up garbage collected');

  const reason = await stopped;
  logger.info({ reason }, 'shutting down');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS).unref());
  const outcome = await Promise.race([gateway.close().then(() => 'closed' as const), timeout]);
  if (outcome === 'timeout') logger.error({ timeoutMs: CLOSE_TIMEOUT_MS }, 'graceful close timed out');
  logger.flush?.();
  return outcome === 'closed' ? 0 : 1;
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
    // Whatever still holds the event loop after the close (a file operation that never returns, a child that ignores
    // signals) does not keep a stopped gateway alive: it exits a second later at the latest.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`fatal: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
