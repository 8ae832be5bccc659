import { describe, expect, it } from 'vitest';
import { fixtureConfig, buildStackFromConfig, synthJson, type SynthJson } from './helpers';
import { Testing } from 'cdktf';

/** Every resource, data source and output address. Construct ids are a contract: a change here destroys and recreates. */
function addresses(json: SynthJson): string[] {
  const out: string[] = [];
  for (const [type, byName] of Object.entries(json.resource ?? {})) for (const name of Object.keys(byName)) out.push(`${type}.${name}`);
  for (const [type, byName] of Object.entries(json.data ?? {})) for (const name of Object.keys(byName)) out.push(`data.${type}.${name}`);
  for (const name of Object.keys(json.output ?? {})) out.push(`output.${name}`);
  for (const name of Object.keys(json.variable ?? {})) out.push(`var.${name}`);
  return out.sort();
}

describe('synthesized addresses', () => {
  it('local-only stack', () => {
    expect(addresses(synthJson())).toEqual([
      'docker_container.gateway_container_B4FE70D0',
      'docker_image.gateway-image_0FD5DE07',
      'docker_network.network',
      'docker_volume.gateway_audit_19906563',
      'output.client_configs',
      'output.local_url',
      'output.mcp_url',
      'output.sse_url',
      'var.gateway_auth_tokens',
    ]);
  });

  it('full Cloudflare stack', async () => {
    const json = JSON.parse(Testing.synth(buildStackFromConfig(await fixtureConfig('full.tfvars')))) as SynthJson;
    expect(addresses(json)).toEqual([
      'cloudflare_dns_record.dns_record_1B7E4516',
      'cloudflare_zero_trust_access_application.access_application_90F11FAE',
      'cloudflare_zero_trust_access_policy.access_allow_4E84320E',
      'cloudflare_zero_trust_access_policy.access_service-token-policy-ci_81B6E05B',
      'cloudflare_zero_trust_access_policy.access_service-token-policy-claude-desktop_EEAAE644',
      'cloudflare_zero_trust_access_service_token.access_service-token-ci_D8D8625E',
      'cloudflare_zero_trust_access_service_token.access_service-token-claude-desktop_6FA72287',
      'cloudflare_zero_trust_tunnel_cloudflared.tunnel_1302C5CC',
      'cloudflare_zero_trust_tunnel_cloudflared_config.tunnel-ingress_config_CE06F8D0',
      'data.cloudflare_zero_trust_tunnel_cloudflared_token.tunnel_token_E28BE7ED',
      'docker_container.connector_container_1F91CF1E',
      'docker_container.gateway_container_B4FE70D0',
      'docker_image.connector_image_4F25D40F',
      'docker_image.gateway-image_0FD5DE07',
      'docker_network.network',
      'docker_volume.gateway_audit_19906563',
      'output.access_aud',
      'output.access_team_domain',
      'output.client_configs',
      'output.local_url',
      'output.mcp_url',
      'output.oauth_redirect_uris',
      'output.public_url',
      'output.service_token_client_ids',
      'output.service_token_client_secrets',
      'output.sse_url',
      'output.tunnel_id',
      'var.gateway_auth_tokens',
    ]);
  });
});
