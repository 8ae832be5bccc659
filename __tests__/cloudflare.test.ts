import { Network } from '@cdktf/provider-docker/lib/network';
import { TerraformStack, Testing } from 'cdktf';
import { beforeAll, describe, expect, it } from 'vitest';
import { GatewayAccess } from '../constructs/access';
import { GatewayDns } from '../constructs/dns';
import { GatewayTunnel } from '../constructs/tunnel';
import { TunnelConnector } from '../constructs/tunnel-connector';
import { ACCOUNT_ID, buildStackFromConfig, envMap, fixtureConfig, problemsOf, synth, synthJson, TUNNEL_RAW, ZONE_ID } from './helpers';

let full: string;
let fullJson: any;
beforeAll(async () => {
  full = Testing.synth(buildStackFromConfig(await fixtureConfig('full.tfvars')));
  fullJson = JSON.parse(full);
});

describe('Cloudflare resources (tunnel enabled)', () => {
  it('instantiates the Cloudflare provider without any credential (CLOUDFLARE_API_TOKEN from the environment)', () => {
    expect(fullJson.provider.cloudflare).toEqual([{}]);
  });

  it('creates a remotely managed tunnel', () => {
    expect(full).toHaveResourceWithProperties('cloudflare_zero_trust_tunnel_cloudflared', {
      account_id: ACCOUNT_ID,
      name: 'mcp-gateway-docker-mcp-example-com',
      config_src: 'cloudflare',
    });
    expect(Object.values(fullJson.resource.cloudflare_zero_trust_tunnel_cloudflared)[0]).not.toHaveProperty('tunnel_secret');
  });

  it('reads the connector token from the v5 token data source', () => {
    expect(full).toHaveDataSourceWithProperties('cloudflare_zero_trust_tunnel_cloudflared_token', {
      account_id: ACCOUNT_ID,
      tunnel_id: '${cloudflare_zero_trust_tunnel_cloudflared.tunnel_1302C5CC.id}',
    });
  });

  it('routes the hostname to the gateway container with Access required, then a catch-all 404', () => {
    expect(full).toHaveResourceWithProperties('cloudflare_zero_trust_tunnel_cloudflared_config', {
      account_id: ACCOUNT_ID,
      tunnel_id: '${cloudflare_zero_trust_tunnel_cloudflared.tunnel_1302C5CC.id}',
      config: {
        ingress: [
          {
            hostname: 'docker-mcp.example.com',
            service: 'http://mcp-gateway:3100',
            origin_request: {
              access: {
                required: true,
                team_name: 'acme',
                aud_tag: ['${cloudflare_zero_trust_access_application.access_application_90F11FAE.aud}'],
              },
            },
          },
          { service: 'http_status:404' },
        ],
      },
    });
  });

  it('creates a proxied CNAME to the tunnel', () => {
    expect(full).toHaveResourceWithProperties('cloudflare_dns_record', {
      zone_id: ZONE_ID,
      name: 'docker-mcp.example.com',
      type: 'CNAME',
      content: '${cloudflare_zero_trust_tunnel_cloudflared.tunnel_1302C5CC.id}.cfargotunnel.com',
      proxied: true,
      ttl: 1,
    });
  });

  it('creates a self-hosted Access application with every policy', () => {
    expect(full).toHaveResourceWithProperties('cloudflare_zero_trust_access_application', {
      account_id: ACCOUNT_ID,
      domain: 'docker-mcp.example.com',
      type: 'self_hosted',
      session_duration: '12h',
      service_auth_401_redirect: true,
      app_launcher_visible: false,
      policies: [
        { id: '${cloudflare_zero_trust_access_policy.access_allow_4E84320E.id}', precedence: 1 },
        { id: '${cloudflare_zero_trust_access_policy.access_service-token-policy-ci_81B6E05B.id}', precedence: 2 },
        { id: '${cloudflare_zero_trust_access_policy.access_service-token-policy-claude-desktop_EEAAE644.id}', precedence: 3 },
      ],
    });
  });

  it('allows the configured emails and email domains', () => {
    expect(full).toHaveResourceWithProperties('cloudflare_zero_trust_access_policy', {
      account_id: ACCOUNT_ID,
      decision: 'allow',
      include: [{ email: { email: 'ops@example.org' } }, { email_domain: { domain: 'example.com' } }],
    });
  });

  it('gives each service token its own non_identity policy', () => {
    for (const name of ['ci', 'claude-desktop']) {
      expect(full).toHaveResourceWithProperties('cloudflare_zero_trust_access_service_token', { account_id: ACCOUNT_ID, name: `docker-mcp.example.com - ${name}` });
    }
    expect(full).toHaveResourceWithProperties('cloudflare_zero_trust_access_policy', {
      decision: 'non_identity',
      include: [{ service_token: { token_id: '${cloudflare_zero_trust_access_service_token.access_service-token-ci_D8D8625E.id}' } }],
    });
  });

  it('runs a pinned cloudflared with the token in env only, no ports', () => {
    expect(full).toHaveResourceWithProperties('docker_image', { name: 'cloudflare/cloudflared:2025.8.1', keep_locally: true });
    expect(full).toHaveResourceWithProperties('docker_container', {
      name: 'mcp-gateway-cloudflared',
      command: ['tunnel', '--no-autoupdate', 'run'],
      env: ['TUNNEL_TOKEN=${data.cloudflare_zero_trust_tunnel_cloudflared_token.tunnel_token_E28BE7ED.token}', 'TUNNEL_METRICS=127.0.0.1:20241'],
      restart: 'unless-stopped',
      wait: true,
      wait_timeout: 120,
      memory: 128,
      memory_swap: 128,
      user: '65532:65532',
      read_only: true,
      capabilities: { drop: ['ALL'] },
      security_opts: ['no-new-privileges:true'],
      networks_advanced: [{ name: '${docker_network.network.name}' }],
      healthcheck: { test: ['CMD', 'cloudflared', 'tunnel', '--metrics', '127.0.0.1:20241', 'ready'] },
      labels: [
        { label: 'project', value: 'docker-mcp-gateway' },
        { label: 'component', value: 'tunnel-connector' },
        { label: 'managed-by', value: 'cdktf' },
        { label: 'mcp.gateway.role', value: 'connector' },
      ],
    });
    const connector = Object.values(fullJson.resource.docker_container as Record<string, any>).find((c) => c.name === 'mcp-gateway-cloudflared');
    expect(connector.ports).toBeUndefined();
  });

  it('defaults: 24h Access sessions, 1-year service tokens, tunnel named after the hostname', () => {
    const json = synth({ ...TUNNEL_RAW, service_tokens: ['ci'] });
    expect(json).toHaveResourceWithProperties('cloudflare_zero_trust_access_application', { session_duration: '24h' });
    expect(json).toHaveResourceWithProperties('cloudflare_zero_trust_access_service_token', { duration: '8760h' });
    expect(json).toHaveResourceWithProperties('cloudflare_zero_trust_tunnel_cloudflared', { name: 'mcp-gateway-docker-mcp-example-com' });
  });

  it('follows cloudflared_version', () => {
    expect(synth({ ...TUNNEL_RAW, cloudflared_version: '2025.9.0' })).toHaveResourceWithProperties('docker_image', { name: 'cloudflare/cloudflared:2025.9.0' });
  });

  it('outputs URLs, AUD and service token ids; secrets only as a sensitive output', () => {
    expect(fullJson.output).toEqual({
      local_url: { value: 'http://127.0.0.1:3100', description: 'Gateway URL on the Docker host (127.0.0.1 only).' },
      public_url: { value: 'https://docker-mcp.example.com', description: 'Gateway URL through the tunnel, behind Access.' },
      mcp_url: { value: 'https://docker-mcp.example.com/mcp', description: 'MCP endpoint (Streamable HTTP) clients connect to.' },
      sse_url: { value: 'https://docker-mcp.example.com/sse', description: 'Legacy SSE endpoint (MCP 2024-11-05 clients).' },
      client_configs: { value: expect.any(Object), description: expect.stringContaining('never a secret') },
      oauth_redirect_uris: { value: expect.arrayContaining(['https://claude.ai/api/mcp/auth_callback']), description: expect.any(String) },
      tunnel_id: { value: '${cloudflare_zero_trust_tunnel_cloudflared.tunnel_1302C5CC.id}' },
      access_aud: { value: '${cloudflare_zero_trust_access_application.access_application_90F11FAE.aud}', description: 'AUD tag of the Access application.' },
      access_team_domain: { value: 'acme.cloudflareaccess.com' },
      service_token_client_ids: {
        value: {
          ci: '${cloudflare_zero_trust_access_service_token.access_service-token-ci_D8D8625E.client_id}',
          'claude-desktop': '${cloudflare_zero_trust_access_service_token.access_service-token-claude-desktop_6FA72287.client_id}',
        },
        description: 'CF-Access-Client-Id per service token.',
      },
      service_token_client_secrets: {
        value: {
          ci: '${cloudflare_zero_trust_access_service_token.access_service-token-ci_D8D8625E.client_secret}',
          'claude-desktop': '${cloudflare_zero_trust_access_service_token.access_service-token-claude-desktop_6FA72287.client_secret}',
        },
        sensitive: true,
        description: 'CF-Access-Client-Secret per service token (read with `terraform output -json`).',
      },
    });
  });

  it('creates no allow policy when only service tokens are configured', () => {
    const json = synthJson({ ...TUNNEL_RAW, allowed_emails: [], service_tokens: ['ci'] });
    const policies = Object.values(json.resource!.cloudflare_zero_trust_access_policy);
    expect(policies.map((p) => p.decision)).toEqual(['non_identity']);
  });

  it('leaves every Cloudflare resource and provider out of the local-only stack', () => {
    const local = synthJson();
    expect(Object.keys(local.provider!)).toEqual(['docker']);
    expect(Object.keys(local.resource!).filter((t) => t.startsWith('cloudflare_'))).toEqual([]);
    expect(local.data).toBeUndefined();
  });

  it('passes the gateway its public hostname from the tunnel', () => {
    const gateway = Object.values(fullJson.resource.docker_container as Record<string, any>).find((c) => c.name === 'mcp-gateway');
    expect(envMap(gateway).MCP_GATEWAY_PUBLIC_HOSTNAME).toBe('docker-mcp.example.com');
  });
});

describe('Cloudflare construct props validation', () => {
  const stack = () => new TerraformStack(Testing.app(), 'mcp-gateway');

  it('GatewayTunnel', () => {
    expect(problemsOf(() => new GatewayTunnel(stack(), 'tunnel', { accountId: 'abc', hostname: 'not a host' }))).toEqual([
      'accountId: must be 32 hexadecimal characters (got "abc")',
      'hostname: must be a fully qualified domain name such as "docker-mcp.example.com" (got "not a host")',
    ]);
  });

  it('GatewayAccess', () => {
    const s = stack();
    const tunnel = new GatewayTunnel(s, 'tunnel', { accountId: ACCOUNT_ID, hostname: 'mcp.example.com' });
    expect(problemsOf(() => new GatewayAccess(s, 'access', { tunnel, teamName: 'acme.cloudflareaccess.com' }))).toEqual([
      'allowedEmails: nobody could pass Access: give at least one of allowedEmails, allowedEmailDomains or serviceTokenNames (got [])',
      'teamName: must be the team name alone, without .cloudflareaccess.com (got "acme.cloudflareaccess.com")',
    ]);
  });

  it('GatewayDns', () => {
    const s = stack();
    const tunnel = new GatewayTunnel(s, 'tunnel', { accountId: ACCOUNT_ID, hostname: 'mcp.example.com' });
    expect(problemsOf(() => new GatewayDns(s, 'dns', { tunnel, zoneId: 'zone' }))).toEqual(['zoneId: must be 32 hexadecimal characters (got "zone")']);
  });

  it('TunnelConnector', () => {
    const s = stack();
    const tunnel = new GatewayTunnel(s, 'tunnel', { accountId: ACCOUNT_ID, hostname: 'mcp.example.com' });
    const network = new Network(s, 'network', { name: 'n' });
    expect(problemsOf(() => new TunnelConnector(s, 'connector', { tunnel, network, version: 'latest', memoryMiB: 8 }))).toEqual([
      'version: must be a pinned release tag such as "2025.8.1" (got "latest")',
      'memoryMiB: must be at least 32 (got 8)',
    ]);
  });

  it('typed properties expose what the stack and other constructs need', () => {
    const s = stack();
    const tunnel = new GatewayTunnel(s, 'tunnel', { accountId: ACCOUNT_ID, hostname: 'mcp.example.com' });
    const access = new GatewayAccess(s, 'access', { tunnel, teamName: 'acme', serviceTokenNames: ['ci'] });
    expect(tunnel.hostname).toBe('mcp.example.com');
    expect(tunnel.publicUrl).toBe('https://mcp.example.com');
    expect(access.teamDomain).toBe('acme.cloudflareaccess.com');
    expect(access.hostname).toBe('mcp.example.com');
    expect(access.serviceTokens.map((t) => t.name)).toEqual(['ci']);
    expect(access.allowPolicy).toBeUndefined();
  });
});
