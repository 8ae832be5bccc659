/**
 * `{{secret:NAME}}` in a command server's environment, through the built gateway image run as the stack runs it:
 * the gateway reads MCP_GATEWAY_SECRET_<NAME> (as the stack delivers it from TF_VAR_mcp_server_secrets), the
 * upstream receives the value (it answers with its sha256, so the value never travels back), and the value is in
 * none of the gateway's logs (debug level), its audit log, or any process's argv in the container.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, runContainer } from '../helpers/docker-cli.js';
import { containerLogs, E2E_CONFIG, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { GATEWAY_IMAGE } from '../helpers/images.js';
import { connectClient } from '../helpers/mcp-client.js';
import { FAULTY_IN_GATEWAY, firstText, gatewayConfig, ownerIdFor, removeOwned, topArgs, upstreamMounts } from './harness.js';

const OWNER = ownerIdFor('secret');
const SECRET = `ghp_${randomBytes(18).toString('hex')}`;

describe('secret references resolved by the gateway container', () => {
  let gw: GatewayUnderTest;

  beforeAll(async () => {
    gw = await startGateway({
      args: upstreamMounts(),
      env: { MCP_GATEWAY_SECRET_PROBE_TOKEN: SECRET },
      config: gatewayConfig(OWNER, {
        probe: { command: 'node', args: [FAULTY_IN_GATEWAY, 'ok'], lifecycle: 'shared', environment: { API_TOKEN: '{{secret:PROBE_TOKEN}}' } },
      }, { callTimeoutMs: 20_000, initTimeoutMs: 20_000 }),
    });
  });
  afterAll(async () => {
    await gw?.remove();
    await removeOwned(OWNER);
  });

  it('the upstream receives the secret; nothing the gateway wrote or runs shows it', async () => {
    const client = await connectClient(gw.url);
    try {
      const result = await client.callTool({ name: 'probe__env-sha256', arguments: { name: 'API_TOKEN' } });
      expect(result.isError).toBeFalsy();
      expect(firstText(result)).toBe(createHash('sha256').update(SECRET).digest('hex'));
    } finally {
      await client.close();
    }
    expect((await topArgs(gw.id)).some((p) => p.includes('faulty-server.mjs'))).toBe(true);
    expect((await topArgs(gw.id)).join('\n')).not.toContain(SECRET);
    const logs = await gw.logs();
    expect(logs).toContain('"upstream":"probe"'); // the upstream started (and was logged) ...
    expect(logs).not.toContain(SECRET); // ... without the value, at debug level
    const audit = await docker('exec', gw.id, 'sh', '-c', 'cat /var/lib/mcp-gateway/audit/*');
    expect(audit).toContain('probe__env-sha256');
    expect(audit).not.toContain(SECRET);
  });
});

describe('a missing secret is a configuration error at start', () => {
  it('the gateway exits 2 naming the secret and where to provide it, printing no value', async () => {
    const config = { ...E2E_CONFIG, mcpServers: { probe: { command: 'node', environment: { API_TOKEN: '{{secret:PROBE_TOKEN}}' } } } };
    const c = await runContainer({
      name: `gw-secret-missing-${process.pid}-${randomBytes(3).toString('hex')}`,
      image: GATEWAY_IMAGE,
      args: ['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-e', `MCP_GATEWAY_CONFIG_JSON=${JSON.stringify(config)}`, '-e', 'MCP_GATEWAY_AUTH_TOKENS=e2e=e2e-token-0123456789abcdef'],
    });
    try {
      expect(await docker('wait', c.id)).toBe('2');
      const logs = await containerLogs(c.id);
      expect(logs).toContain('mcpServers.probe.environment.API_TOKEN: references secret "PROBE_TOKEN", which is not set; provide MCP_GATEWAY_SECRET_PROBE_TOKEN');
    } finally {
      await c.remove();
    }
  });
});
