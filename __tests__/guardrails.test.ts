import { Container } from '@cdktf/provider-docker/lib/container';
import { Aspects, TerraformOutput, TerraformStack, Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { StackConfigError } from '../constructs/errors';
import {
  accessProtectedHostname,
  checkStack,
  GUARDRAIL_RULES,
  GuardrailAspect,
  type GuardrailRule,
  hardenedContainer,
  healthcheck,
  ingressCatchAll,
  memoryLimit,
  noPublicPort,
  noSecretLiterals,
  noTlsVerifyOff,
  managedOAuthAllowPolicy,
  type SynthesizedStack,
} from '../constructs/rules';
import { fixtureConfig, buildStackFromConfig, synthJson } from './helpers';

const goodContainer = {
  name: 'c',
  image: 'x',
  memory: 128,
  memory_swap: 128,
  ports: [{ internal: 3000, external: 3000, ip: '127.0.0.1' }],
  healthcheck: { test: ['CMD', 'true'] },
  user: '1000:1000',
  read_only: true,
  capabilities: { drop: ['ALL'] },
  security_opts: ['no-new-privileges:true'],
  env: ['TOKEN_FILE_MODE=${var.mode}', 'LOG=info'],
  command: ['serve'],
};
const containers = (attrs: Record<string, unknown>): SynthesizedStack => ({ resource: { docker_container: { c: { ...goodContainer, ...attrs } } } });

const tunnelConfig = (ingress: unknown[], originRequest?: unknown): SynthesizedStack => ({
  resource: {
    cloudflare_zero_trust_tunnel_cloudflared_config: { t: { config: { ingress, origin_request: originRequest } } },
    cloudflare_zero_trust_access_application: { a: { domain: 'mcp.example.com', policies: [{ id: 'p', precedence: 1 }] } },
  },
});
/** An Access application with Managed OAuth whose one policy has `decision`. */
const oauthApp = (decision: string): SynthesizedStack => ({
  resource: {
    cloudflare_zero_trust_access_policy: { p: { decision } },
    cloudflare_zero_trust_access_application: { a: { domain: 'mcp.example.com', policies: [{ id: '${cloudflare_zero_trust_access_policy.p.id}', precedence: 1 }], oauth_configuration: { enabled: true } } },
  },
});
const route = { hostname: 'mcp.example.com', service: 'http://mcp-gateway:3000' };
const catchAll = { service: 'http_status:404' };

const cases: Array<[GuardrailRule, SynthesizedStack, SynthesizedStack, string]> = [
  [noPublicPort, containers({}), containers({ ports: [{ internal: 3000, external: 3000 }] }), 'publishes port 3000 on 0.0.0.0 (all interfaces); set ip = "127.0.0.1" and reach it remotely through the tunnel'],
  [noPublicPort, containers({ ports: [{ internal: 1, ip: '::1' }] }), containers({ publish_all_ports: true }), 'sets publish_all_ports, which binds every exposed port on all interfaces; remove it'],
  [memoryLimit, containers({}), containers({ memory: undefined }), 'has no memory limit; set memory (MiB) so one container cannot starve the host'],
  [memoryLimit, containers({}), containers({ memory_swap: 256 }), 'has memory_swap 256 != memory 128; set them equal so the limit is not bypassed through swap'],
  [healthcheck, containers({}), containers({ healthcheck: undefined }), 'has no healthcheck; add healthcheck { test = ["CMD", ...] }'],
  [healthcheck, containers({ healthcheck: [{ test: ['CMD-SHELL', 'true'] }] }), containers({ healthcheck: { test: ['NONE'] } }), 'has no healthcheck; add healthcheck { test = ["CMD", ...] }'],
  [hardenedContainer, containers({}), containers({ user: undefined }), 'runs as root; set user to a non-root uid:gid'],
  [hardenedContainer, containers({ user: 'app' }), containers({ user: '0:0' }), 'runs as root; set user to a non-root uid:gid'],
  [hardenedContainer, containers({}), containers({ read_only: false }), 'has a writable root filesystem; set read_only = true and mount tmpfs/volumes where it must write'],
  [hardenedContainer, containers({ capabilities: [{ drop: ['ALL'] }] }), containers({ capabilities: { drop: ['NET_RAW'] } }), 'keeps Linux capabilities; set capabilities { drop = ["ALL"] }'],
  [hardenedContainer, containers({ security_opts: ['no-new-privileges'] }), containers({ security_opts: [] }), 'allows privilege escalation; add security_opts = ["no-new-privileges:true"]'],
  [hardenedContainer, containers({ privileged: false }), containers({ privileged: true }), 'is privileged; remove privileged = true'],
  [ingressCatchAll, tunnelConfig([route, catchAll]), tunnelConfig([route]), 'ingress does not end with the catch-all { service = "http_status:404" }; add it last so unknown hostnames are refused'],
  [ingressCatchAll, tunnelConfig([route, catchAll]), tunnelConfig([route, { ...catchAll, hostname: 'x.example.com' }]), 'ingress does not end with the catch-all { service = "http_status:404" }; add it last so unknown hostnames are refused'],
  [noTlsVerifyOff, tunnelConfig([{ ...route, origin_request: { no_tls_verify: false } }, catchAll]), tunnelConfig([{ ...route, origin_request: { no_tls_verify: true } }, catchAll]), 'sets no_tls_verify = true; give the origin a valid certificate (or ca_pool) instead'],
  [noTlsVerifyOff, tunnelConfig([route, catchAll]), tunnelConfig([route, catchAll], { no_tls_verify: true }), 'sets no_tls_verify = true; give the origin a valid certificate (or ca_pool) instead'],
  [
    accessProtectedHostname,
    tunnelConfig([route, catchAll]),
    tunnelConfig([{ ...route, hostname: 'other.example.com' }, catchAll]),
    'publishes other.example.com without an Access application (with at least one policy) for that domain; add a GatewayAccess for it',
  ],
  [
    accessProtectedHostname,
    { resource: { cloudflare_dns_record: { d: { name: 'mcp.example.com', content: '${t.id}.cfargotunnel.com' } }, cloudflare_zero_trust_access_application: { a: { domain: 'mcp.example.com', policies: [{ id: 'p' }] } } } },
    { resource: { cloudflare_dns_record: { d: { name: 'mcp.example.com', content: '${t.id}.cfargotunnel.com' } }, cloudflare_zero_trust_access_application: { a: { domain: 'mcp.example.com', policies: [] } } } },
    'publishes mcp.example.com without an Access application (with at least one policy) for that domain; add a GatewayAccess for it',
  ],
  [noSecretLiterals, containers({ env: ['MCP_GATEWAY_AUTH_TOKENS=${var.gateway_auth_tokens}'] }), containers({ env: ['MCP_GATEWAY_AUTH_TOKENS=alice=hunter2'] }), 'env MCP_GATEWAY_AUTH_TOKENS holds a literal value; pass a reference to a sensitive variable or data source instead'],
  [
    noSecretLiterals,
    containers({ command: ['tunnel', '--no-autoupdate', 'run'], env: ['TUNNEL_TOKEN=${data.x.token}'] }),
    containers({ command: ['tunnel', 'run', '--token', '${data.x.token}'] }),
    'command carries a secret (visible in docker inspect and ps); pass it by environment variable',
  ],
  [noSecretLiterals, { provider: { cloudflare: [{}] } }, { provider: { cloudflare: [{ api_token: 'abc123' }] } }, 'api_token is a literal; let the provider read it from the environment (e.g. CLOUDFLARE_API_TOKEN)'],
  [noSecretLiterals, { output: { s: { value: '${x.client_secret}', sensitive: true } } }, { output: { s: { value: '${x.client_secret}' } } }, 'exposes a secret; mark the output sensitive'],
  [noSecretLiterals, { variable: { gateway_auth_tokens: { sensitive: true } } }, { variable: { gateway_auth_tokens: { type: 'string' } } }, 'holds secrets but is not sensitive; set sensitive = true'],
  [managedOAuthAllowPolicy, oauthApp('allow'), oauthApp('non_identity'), 'enables Managed OAuth without an allow policy, so no email login could succeed; add allowed_emails or allowed_email_domains, or set access_managed_oauth = false'],
  [noSecretLiterals, containers({ env: ['MCP_GATEWAY_SECRET_GH=${var.mcp_server_secrets.GH}'] }), containers({ env: ['MCP_GATEWAY_SECRET_GH=ghp_literal'] }), 'env MCP_GATEWAY_SECRET_GH holds a literal value; pass a reference to a sensitive variable or data source instead'],
  [noSecretLiterals, { variable: { mcp_server_secrets: { sensitive: true } } }, { variable: { mcp_server_secrets: { type: 'map(string)' } } }, 'holds secrets but is not sensitive; set sensitive = true'],
  [noSecretLiterals, { output: { s: { value: '${var.mcp_server_secrets.GH}', sensitive: true } } }, { output: { s: { value: '${var.mcp_server_secrets.GH}' } } }, 'exposes a secret; mark the output sensitive'],
];

describe.each(cases.map(([rule, ...rest]) => [rule.id, rule, ...rest] as const))('rule %s', (_id, rule, compliant, nonCompliant, message) => {
  it(`accepts the compliant stack`, () => {
    expect(rule.check(compliant)).toEqual([]);
  });
  it(`rejects the non-compliant stack: ${message}`, () => {
    expect(rule.check(nonCompliant).map((v) => [v.ruleId, v.message])).toEqual([[rule.id, message]]);
  });
});

describe('GUARDRAIL_RULES', () => {
  it('contains every rule once, with unique ids', () => {
    const ids = GUARDRAIL_RULES.map((r) => r.id);
    expect(ids).toEqual(['no-public-port', 'memory-limit', 'healthcheck', 'hardened-container', 'access-protected-hostname', 'ingress-catch-all', 'no-tls-verify-off', 'no-secret-literals', 'managed-oauth-allow-policy', 'k8s-restricted-pod', 'k8s-no-host-path', 'k8s-probe-routes', 'k8s-no-secret-values', 'k8s-network-policy']);
  });
  it('passes on both real stack variants', async () => {
    expect(checkStack(synthJson() as SynthesizedStack, GUARDRAIL_RULES)).toEqual([]);
    const full = JSON.parse(Testing.synth(buildStackFromConfig(await fixtureConfig('full.tfvars'))));
    expect(checkStack(full, GUARDRAIL_RULES)).toEqual([]);
  });
  it('keeps every secret out of the synthesized full stack', async () => {
    const text = Testing.synth(buildStackFromConfig(await fixtureConfig('full.tfvars')));
    expect(text).not.toMatch(/api_token|client_secret"\s*:\s*"[^$]/);
    expect(text).toContain('"TUNNEL_TOKEN=${data.cloudflare_zero_trust_tunnel_cloudflared_token.tunnel_token_E28BE7ED.token}"');
  });
});

describe('GuardrailAspect', () => {
  it('fails synthesis with every violation as a StackConfigError', () => {
    const stack = new TerraformStack(Testing.app(), 'bad');
    new Container(stack, 'open', { name: 'open', image: 'x', ports: [{ internal: 80, external: 80 }], command: ['run', '--token', '${var.t}'] });
    new TerraformOutput(stack, 'leak', { value: '${x.client_secret}' });
    Aspects.of(stack).add(new GuardrailAspect(GUARDRAIL_RULES));
    let error: unknown;
    try {
      Testing.synth(stack);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StackConfigError);
    expect((error as StackConfigError).problems.map((p) => `${p.key} ${p.received}`)).toEqual([
      'no-public-port docker_container.open',
      'memory-limit docker_container.open',
      'healthcheck docker_container.open',
      'hardened-container docker_container.open',
      'hardened-container docker_container.open',
      'hardened-container docker_container.open',
      'hardened-container docker_container.open',
      'no-secret-literals docker_container.open',
      'no-secret-literals output.leak',
    ]);
    expect((error as StackConfigError).message).toContain('in guardrails of stack bad');
  });
  it('lets a compliant stack through', () => {
    const stack = new TerraformStack(Testing.app(), 'good');
    new Container(stack, 'ok', {
      name: 'ok',
      image: 'x',
      memory: 64,
      memorySwap: 64,
      healthcheck: { test: ['CMD', 'true'] },
      user: '1000:1000',
      readOnly: true,
      capabilities: { drop: ['ALL'] },
      securityOpts: ['no-new-privileges:true'],
    });
    Aspects.of(stack).add(new GuardrailAspect(GUARDRAIL_RULES));
    expect(() => Testing.synth(stack)).not.toThrow();
  });
});
