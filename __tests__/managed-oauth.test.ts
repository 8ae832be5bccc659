import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TerraformStack, Testing } from 'cdktf';
import { parseTfvars } from '../constructs/config/load-config';
import { describe, expect, it } from 'vitest';
import { enableManagedOAuth, CLOUDFLARE_PROVIDER_VERSION } from '../constructs/access-oauth';
import { GatewayAccess } from '../constructs/access';
import { CLIENT_NAMES, PLACEHOLDERS } from '../constructs/client-configs';
import { validateConfig } from '../constructs/config/validate-config';
import { checkStack, managedOAuthAllowPolicy, type SynthesizedStack } from '../constructs/rules';
import { GatewayTunnel } from '../constructs/tunnel';
import { ACCOUNT_ID, problemsOf, ROOT, synth, synthJson, TUNNEL_RAW, ZONE_ID } from './helpers';

/** The design document's terraform.tfvars (without the API token, which never belongs in a file). */
const DESIGN_RAW = {
  enable_docker_mcp_gateway: true,
  enable_cloudflare_tunnel: true,
  domain_suffix: 'example.com',
  cloudflare_account_id: ACCOUNT_ID,
  allowed_email_domains: ['example.com'],
  allowed_emails: ['admin@example.org'],
};

const only = (json: ReturnType<typeof synthJson>, type: string): Record<string, any> => {
  const all = Object.values(json.resource?.[type] ?? {});
  expect(all).toHaveLength(1);
  return all[0];
};

describe('Managed OAuth on the Access application', () => {
  it('is on by default with the built-in redirect URIs, localhost/loopback callbacks and Cloudflare\'s recommended lifetimes', () => {
    const json = synthJson(TUNNEL_RAW);
    expect(only(json, 'cloudflare_zero_trust_access_application').oauth_configuration).toEqual({
      enabled: true,
      dynamic_client_registration: {
        enabled: true,
        allow_any_on_localhost: true,
        allow_any_on_loopback: true,
        allowed_uris: [
          'https://claude.ai/api/mcp/auth_callback',
          'https://claude.com/api/mcp/auth_callback',
          'https://chatgpt.com/connector_platform_oauth_redirect',
          'cursor://anysphere.cursor-mcp/oauth/callback',
          'https://vscode.dev/redirect',
        ],
      },
      grant: { access_token_lifetime: '15m', session_duration: '336h' },
    });
    // Existing settings stay: 401 instead of a login redirect, and the policies in order.
    expect(only(json, 'cloudflare_zero_trust_access_application')).toMatchObject({ service_auth_401_redirect: true, type: 'self_hosted' });
    expect(json.output?.oauth_redirect_uris?.value).toEqual(only(json, 'cloudflare_zero_trust_access_application').oauth_configuration.dynamic_client_registration.allowed_uris);
  });

  it('requires the provider version that has oauth_configuration (the bindings pin 5.14.0)', () => {
    const json = JSON.parse(synth(TUNNEL_RAW)) as { terraform: { required_providers: Record<string, { version: string; source: string }> } };
    expect(json.terraform.required_providers.cloudflare).toEqual({ source: 'cloudflare/cloudflare', version: CLOUDFLARE_PROVIDER_VERSION });
    expect(CLOUDFLARE_PROVIDER_VERSION).toBe('5.22.0');
    // The local-only stack has no Cloudflare provider at all.
    expect((JSON.parse(synth()) as { terraform: { required_providers: Record<string, unknown> } }).terraform.required_providers).not.toHaveProperty('cloudflare');
  });

  it('follows access_oauth_clients, access_oauth_redirect_uris and the two durations', () => {
    const json = synthJson({
      ...TUNNEL_RAW,
      access_oauth_clients: ['claude', 'local'],
      access_oauth_redirect_uris: ['https://mcp-client.example.net/oauth/*', 'myapp://callback'],
      access_oauth_token_lifetime: '5m',
      access_oauth_grant_duration: '168h',
    });
    expect(only(json, 'cloudflare_zero_trust_access_application').oauth_configuration).toEqual({
      enabled: true,
      dynamic_client_registration: {
        enabled: true,
        allow_any_on_localhost: true,
        allow_any_on_loopback: true,
        allowed_uris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback', 'https://mcp-client.example.net/oauth/*', 'myapp://callback'],
      },
      grant: { access_token_lifetime: '5m', session_duration: '168h' },
    });
    const noLocal = synthJson({ ...TUNNEL_RAW, access_oauth_clients: ['chatgpt'] });
    expect(only(noLocal, 'cloudflare_zero_trust_access_application').oauth_configuration.dynamic_client_registration).toMatchObject({
      allow_any_on_localhost: false,
      allow_any_on_loopback: false,
      allowed_uris: ['https://chatgpt.com/connector_platform_oauth_redirect'],
    });
  });

  it('access_managed_oauth = false declares it off (so an apply also switches off a dashboard toggle); the email login is then not offered', () => {
    const json = synthJson({ ...TUNNEL_RAW, access_managed_oauth: false });
    expect(only(json, 'cloudflare_zero_trust_access_application').oauth_configuration).toEqual({ enabled: false });
    expect(json.output).not.toHaveProperty('oauth_redirect_uris');
    expect(json.output?.client_configs.value.claude.email_login.unsupported).toMatch(/Managed OAuth is off/);
  });

  it('stays off on a service-token-only application unless asked for, and asked for there it is a config error', () => {
    const json = synthJson({ ...TUNNEL_RAW, allowed_emails: [], service_tokens: ['ci'] });
    expect(only(json, 'cloudflare_zero_trust_access_application').oauth_configuration).toEqual({ enabled: false });
    expect(problemsOf(() => validateConfig({ ...TUNNEL_RAW, allowed_emails: [], service_tokens: ['ci'], access_managed_oauth: true }))).toEqual([
      'access_managed_oauth: needs people to log in: set allowed_emails or allowed_email_domains, or set access_managed_oauth = false for a service-token-only application (got true)',
    ]);
  });

  it('refuses bad values, naming key, value and fix', () => {
    expect(
      problemsOf(() =>
        validateConfig({
          ...TUNNEL_RAW,
          access_managed_oauth: 'yes',
          access_oauth_clients: ['claude', 'copilot'],
          access_oauth_redirect_uris: ['http://evil.example.com/cb', 'not a uri', 'https://ok.example.com/cb'],
          access_oauth_token_lifetime: '30s',
          access_oauth_grant_duration: 'two weeks',
        }),
      ),
    ).toEqual([
      'access_managed_oauth: must be a bool; write access_managed_oauth = true or access_managed_oauth = false (no quotes) (got "yes")',
      'access_oauth_clients: is not a known client; use some of "claude", "chatgpt", "cursor", "vscode", "local", and put other redirect URIs in access_oauth_redirect_uris (got "copilot")',
      'access_oauth_redirect_uris: must not be plain http; localhost and 127.0.0.1 callbacks are admitted by the "local" entry of access_oauth_clients, anything else must be https (got "http://evil.example.com/cb")',
      'access_oauth_redirect_uris: is not a redirect URI; write "https://host/path" (a path may end in "/*") or an app scheme such as "cursor://anysphere.cursor-mcp/oauth/callback" (got "not a uri")',
      'access_oauth_grant_duration: must be a duration such as "336h" (units ns, us, ms, s, m, h) (got "two weeks")',
      'access_oauth_token_lifetime: is under one minute: clients would refresh on nearly every request; use 5m to 15m (got "30s")',
    ]);
    expect(problemsOf(() => validateConfig({ ...TUNNEL_RAW, access_oauth_token_lifetime: '48h', access_oauth_grant_duration: '24h' }))).toEqual([
      'access_oauth_token_lifetime: is longer than access_oauth_grant_duration (24h); the access token must expire before the grant does (got "48h")',
    ]);
  });
});

describe('guardrail managed-oauth-allow-policy', () => {
  const app = (policies: string[], oauth?: Record<string, unknown>) => ({
    domain: 'mcp.example.com',
    policies: policies.map((p, i) => ({ id: `\${cloudflare_zero_trust_access_policy.${p}.id}`, precedence: i + 1 })),
    ...(oauth ? { oauth_configuration: oauth } : {}),
  });
  const stack = (application: Record<string, unknown>): SynthesizedStack => ({
    resource: {
      cloudflare_zero_trust_access_policy: { people: { decision: 'allow' }, robots: { decision: 'non_identity' }, all: { decision: 'bypass' } },
      cloudflare_zero_trust_access_application: { a: application },
    },
  });

  it('passes an application with an allow policy, and any application with Managed OAuth off or absent', () => {
    expect(managedOAuthAllowPolicy.check(stack(app(['robots', 'people'], { enabled: true })))).toEqual([]);
    expect(managedOAuthAllowPolicy.check(stack(app(['robots'], { enabled: false })))).toEqual([]);
    expect(managedOAuthAllowPolicy.check(stack(app(['robots'])))).toEqual([]);
  });

  it('flags Managed OAuth (enabled defaults to true) on an application whose policies admit no person', () => {
    for (const a of [app(['robots'], { grant: {} }), app(['all'], { enabled: true }), app([], { enabled: true })]) {
      expect(managedOAuthAllowPolicy.check(stack(a))).toEqual([
        {
          ruleId: 'managed-oauth-allow-policy',
          address: 'cloudflare_zero_trust_access_application.a',
          message: 'enables Managed OAuth without an allow policy, so no email login could succeed; add allowed_emails or allowed_email_domains, or set access_managed_oauth = false',
        },
      ]);
    }
  });

  it('stops the synth of a construct tree that enables it on a service-token-only application', () => {
    const s = new TerraformStack(Testing.app(), 'guarded');
    const tunnel = new GatewayTunnel(s, 'tunnel', { accountId: ACCOUNT_ID, hostname: 'mcp.example.com' });
    const access = new GatewayAccess(s, 'access', { tunnel, teamName: 'acme', serviceTokenNames: ['ci'] });
    enableManagedOAuth(access.application, { allowedUris: [], allowAnyOnLocalhost: true, allowAnyOnLoopback: true, accessTokenLifetime: '15m', sessionDuration: '336h' });
    const violations = checkStack(JSON.parse(Testing.synth(s)) as SynthesizedStack, [managedOAuthAllowPolicy]);
    expect(violations.map((v) => v.ruleId)).toEqual(['managed-oauth-allow-policy']);
    // The real stack never produces it (GatewayStack applies every guardrail during synth).
    expect(() => synth({ ...TUNNEL_RAW, allowed_emails: [], service_tokens: ['ci'] })).not.toThrow();
  });
});

describe("the design's terraform.tfvars: zone and team looked up in the account", () => {
  it('synthesizes with only the design keys: data sources for the zone (by name and account) and the Zero Trust organization', () => {
    const json = synthJson(DESIGN_RAW);
    const zone = Object.entries(json.data?.cloudflare_zone ?? {});
    const org = Object.entries(json.data?.cloudflare_zero_trust_organization ?? {});
    expect(zone.map(([, v]) => v)).toEqual([{ filter: { name: 'example.com', account: { id: ACCOUNT_ID } } }]);
    expect(org.map(([, v]) => v)).toEqual([{ account_id: ACCOUNT_ID }]);
    const zoneRef = `\${data.cloudflare_zone.${zone[0][0]}.id}`;
    const authDomain = `data.cloudflare_zero_trust_organization.${org[0][0]}.auth_domain`;
    expect(only(json, 'cloudflare_dns_record')).toMatchObject({ zone_id: zoneRef, name: 'docker-mcp.example.com' });
    // The team: issuer the gateway checks, team name cloudflared checks, and the output.
    const gatewayEnv = (Object.values(json.resource!.docker_container).find((c) => c.name === 'mcp-gateway') as { env: string[] }).env;
    expect(gatewayEnv).toContain(`MCP_GATEWAY_ACCESS_TEAM_DOMAIN=\${${authDomain}}`);
    expect(only(json, 'cloudflare_zero_trust_tunnel_cloudflared_config').config.ingress[0].origin_request.access.team_name).toBe(`\${element(split(".", ${authDomain}), 0)}`);
    expect(json.output?.access_team_domain.value).toBe(`\${${authDomain}}`);
    // Both the email and the domain policy decide who logs in, Managed OAuth is on.
    expect(only(json, 'cloudflare_zero_trust_access_policy')).toMatchObject({ decision: 'allow', include: [{ email: { email: 'admin@example.org' } }, { email_domain: { domain: 'example.com' } }] });
    expect(only(json, 'cloudflare_zero_trust_access_application').oauth_configuration.enabled).toBe(true);
  });

  it("README's copy of the design file parses to exactly these keys and synthesizes", async () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /The smallest file for a published gateway is the design's own:\n\n<!-- snippet: tfvars -->\n```hcl\n([\s\S]*?)```/.exec(readme);
    expect(block, 'the README block').not.toBeNull();
    const raw = await parseTfvars(block![1], 'README.md');
    expect(raw).toEqual(DESIGN_RAW);
    expect(() => synth(raw)).not.toThrow();
  });

  it('given cloudflare_zone_id and access_team_name, declares no data source and uses them', () => {
    const json = synthJson({ ...DESIGN_RAW, cloudflare_zone_id: ZONE_ID, access_team_name: 'acme' });
    expect(json.data).not.toHaveProperty('cloudflare_zone');
    expect(json.data).not.toHaveProperty('cloudflare_zero_trust_organization');
    expect(only(json, 'cloudflare_dns_record').zone_id).toBe(ZONE_ID);
    expect(json.output?.access_team_domain.value).toBe('acme.cloudflareaccess.com');
  });
});

describe('outputs: mcp_url, sse_url and client_configs (no secret)', () => {
  it('tunnel: every client has an email login and a service-token entry; placeholders only, nothing sensitive', () => {
    const json = synthJson({ ...TUNNEL_RAW, service_tokens: ['ci'] });
    expect(json.output?.mcp_url.value).toBe('https://docker-mcp.example.com/mcp');
    expect(json.output?.sse_url.value).toBe('https://docker-mcp.example.com/sse');
    const configs = json.output!.client_configs;
    expect(configs.sensitive).toBeUndefined();
    expect(Object.keys(configs.value).sort()).toEqual([...CLIENT_NAMES].sort());
    for (const client of CLIENT_NAMES) expect(Object.keys(configs.value[client]), client).toEqual(['email_login', 'service_token']);
    const text = JSON.stringify(configs.value);
    // No Terraform reference at all (a secret could only arrive through one), and the clients' own ${...} escaped.
    expect(text).not.toMatch(/(?<!\$)\$\{/);
    expect(text).toContain('$${CF_ACCESS_CLIENT_SECRET}');
    expect(text).toContain('$${input:cf-access-client-secret}');
    expect(text).toContain(PLACEHOLDERS.clientSecret);
    expect(configs.value['claude-code'].email_login.command).toBe('claude mcp add --transport http docker-gateway https://docker-mcp.example.com/mcp');
    // Only the service token secrets output is sensitive, and no other output refers to a secret attribute.
    for (const [name, out] of Object.entries(json.output!)) {
      if (name === 'service_token_client_secrets') expect(out.sensitive).toBe(true);
      else expect(JSON.stringify(out.value), name).not.toMatch(/(?<!\$)\$\{[^}]*(client_secret|\.token\}|gateway_auth_tokens)/);
    }
  });

  it('local-only: the 127.0.0.1 endpoint with the bearer token placeholder', () => {
    const json = synthJson({ gateway_port: 3210 });
    expect(json.output?.mcp_url.value).toBe('http://127.0.0.1:3210/mcp');
    const configs = json.output!.client_configs.value;
    for (const client of CLIENT_NAMES) expect(Object.keys(configs[client]), client).toEqual(['bearer_token']);
    expect(configs.vscode.bearer_token.config.servers['docker-gateway']).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:3210/mcp',
      headers: { Authorization: 'Bearer $${input:mcp-gateway-token}' },
    });
    expect(configs.chatgpt.bearer_token.unsupported).toMatch(/cannot reach 127\.0\.0\.1/);
    expect(JSON.stringify(configs)).toContain(PLACEHOLDERS.gatewayToken);
  });
});
