/**
 * target = "kubernetes" honours the keys the other parts of the stack added: state_backend, the optional zone/team
 * lookups, Managed OAuth, `{{secret:NAME}}` upstream secrets, and the command servers' HOME scratch space.
 */
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../constructs/config/validate-config';
import { GATEWAY_HOME } from '../constructs/gateway-container';
import { UPSTREAM_SECRETS_NAME } from '../constructs/kubernetes/defaults';
import { gatewayObjects } from '../constructs/kubernetes/gateway-objects';
import { manifestsYaml } from '../constructs/kubernetes/kubernetes-target';
import { ACCOUNT_ID, buildStackFromConfig, synthJson } from './helpers';
import { K8S_RAW } from './kubernetes-helpers';

/** The tunnel on, zone id and team name left unset (looked up in the account). */
const K8S_TUNNEL_LOOKUP_RAW = {
  ...K8S_RAW,
  enable_cloudflare_tunnel: true,
  domain_suffix: 'example.com',
  cloudflare_account_id: ACCOUNT_ID,
  allowed_emails: ['ops@example.org'],
};
const only = (json: ReturnType<typeof synthJson>, type: string): Record<string, any> => {
  const all = Object.values(json.resource?.[type] ?? {});
  expect(all, type).toHaveLength(1);
  return all[0] as Record<string, any>;
};
const deploymentOf = (raw: Record<string, unknown>) => gatewayObjects(validateConfig(raw)).find((o) => o.kind === 'Deployment' && o.metadata.name === 'mcp-gateway') as any;

describe('target = "kubernetes" with the keys of the other parts', () => {
  it('state_backend: the backend block is the same as for the Docker target', () => {
    const backend = { type: 's3', bucket: 'b', key: 'mcp/terraform.tfstate', region: 'eu-central-1', use_lockfile: true };
    const json = JSON.parse(Testing.synth(buildStackFromConfig(validateConfig({ ...K8S_RAW, state_backend: backend })))) as { terraform: { backend?: unknown } };
    expect(json.terraform.backend).toEqual({ s3: { bucket: 'b', key: 'mcp/terraform.tfstate', region: 'eu-central-1', encrypt: true, use_lockfile: true } });
  });

  it('the tunnel without cloudflare_zone_id / access_team_name looks both up, and the gateway\'s Access issuer is the looked-up team', () => {
    const json = synthJson(K8S_TUNNEL_LOOKUP_RAW);
    const zone = Object.keys(json.data?.cloudflare_zone ?? {});
    const org = Object.keys(json.data?.cloudflare_zero_trust_organization ?? {});
    expect(zone).toHaveLength(1);
    expect(org).toHaveLength(1);
    expect(only(json, 'cloudflare_dns_record').zone_id).toBe(`\${data.cloudflare_zone.${zone[0]}.id}`);
    const accessConfig = only(json, 'kubernetes_config_map_v1');
    expect(accessConfig.data.MCP_GATEWAY_ACCESS_TEAM_DOMAIN).toBe(`\${data.cloudflare_zero_trust_organization.${org[0]}.auth_domain}`);
    // No "undefined" anywhere: nothing was silently dropped.
    expect(JSON.stringify(json)).not.toContain('undefined');
  });

  it('Managed OAuth: on by default with an email policy (and the provider version that has it), declared off when disabled', () => {
    const json = synthJson(K8S_TUNNEL_LOOKUP_RAW);
    expect(only(json, 'cloudflare_zero_trust_access_application').oauth_configuration).toMatchObject({ enabled: true, dynamic_client_registration: { enabled: true } });
    expect((json as any).terraform.required_providers.cloudflare.version).toBe('5.22.0');
    const off = synthJson({ ...K8S_TUNNEL_LOOKUP_RAW, access_managed_oauth: false });
    expect(only(off, 'cloudflare_zero_trust_access_application').oauth_configuration).toEqual({ enabled: false });
  });

  it('{{secret:NAME}}: the sensitive mcp_server_secrets variable, a Secret with one key per name, MCP_GATEWAY_SECRET_<NAME> from it', () => {
    const raw = { ...K8S_RAW, mcp_servers: { gh: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], environment: { GITHUB_PERSONAL_ACCESS_TOKEN: '{{secret:GITHUB_TOKEN}}' } } } };
    const json = synthJson(raw);
    expect(json.variable?.mcp_server_secrets).toMatchObject({ type: 'map(string)', sensitive: true });
    const secrets = Object.values(json.resource!.kubernetes_secret_v1) as Array<Record<string, any>>;
    const upstream = secrets.find((s) => s.metadata.name === UPSTREAM_SECRETS_NAME)!;
    expect(upstream.data).toEqual({ GITHUB_TOKEN: '${var.mcp_server_secrets.GITHUB_TOKEN}' });
    const env = deploymentOf(raw).spec.template.spec.containers[0].env as Array<Record<string, any>>;
    expect(env.find((e) => e.name === 'MCP_GATEWAY_SECRET_GITHUB_TOKEN')).toEqual({ name: 'MCP_GATEWAY_SECRET_GITHUB_TOKEN', valueFrom: { secretKeyRef: { name: UPSTREAM_SECRETS_NAME, key: 'GITHUB_TOKEN' } } });
    // The YAML for kubectl says which Secret to create; without references it does not mention it.
    expect(manifestsYaml(gatewayObjects(validateConfig(raw)))).toContain(`Secret ${UPSTREAM_SECRETS_NAME}, one key per {{secret:NAME}}`);
    expect(manifestsYaml(gatewayObjects(validateConfig(K8S_RAW)))).not.toContain(UPSTREAM_SECRETS_NAME);
    expect(JSON.stringify(deploymentOf(K8S_RAW))).not.toContain('MCP_GATEWAY_SECRET_');
  });

  it('HOME is the Docker target\'s scratch home (/home/node), a bounded emptyDir on the read-only root', () => {
    const spec = deploymentOf(K8S_RAW).spec.template.spec;
    const container = spec.containers[0];
    expect(container.env).toContainEqual({ name: 'HOME', value: GATEWAY_HOME });
    const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === GATEWAY_HOME);
    expect(spec.volumes.find((v: { name: string }) => v.name === mount.name).emptyDir.sizeLimit).toBeDefined();
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
  });
});

describe('target = "kubernetes" behind the tunnel: the client outputs of the Docker target', () => {
  it('client_configs, mcp_url and oauth_redirect_uris for the public hostname (Managed OAuth on: email login offered)', () => {
    const json = synthJson({ ...K8S_TUNNEL_LOOKUP_RAW, service_tokens: ['ci'] });
    expect(json.output?.mcp_url?.value).toBe('https://docker-mcp.example.com/mcp');
    const configs = json.output?.client_configs?.value as Record<string, Record<string, unknown>>;
    expect(Object.keys(configs['claude-desktop'])).toEqual(expect.arrayContaining(['email_login', 'service_token']));
    expect(JSON.stringify(configs)).toContain('https://docker-mcp.example.com/mcp');
    expect(json.output?.oauth_redirect_uris?.value).toContain('https://claude.ai/api/mcp/auth_callback');
  });
  it('without the tunnel there are no client_configs (clients use ingress_url with a bearer token)', () => {
    const json = synthJson(K8S_RAW);
    expect(json.output).not.toHaveProperty('client_configs');
    expect(json.output?.ingress_url?.value).toBe('https://mcp.example.com/mcp');
  });
});
