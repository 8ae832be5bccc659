/**
 * Secrets never reach cdk.tf.json or an error message: known secret keys pasted into tfvars are refused with
 * their own message (no value), unknown keys with secret-looking values are reported without the value, and
 * upstream credentials travel as `{{secret:NAME}}` references backed by the sensitive `mcp_server_secrets`.
 */
import { describe, expect, it } from 'vitest';
import { containsSecretLookingValue, looksLikeSecret } from '../constructs/config/secret-keys';
import { validateConfig } from '../constructs/config/validate-config';
import { StackConfigError } from '../constructs/errors';
import { envMap, onlyResource, problemsOf, synth, synthJson } from './helpers';

const TOKEN = 'cf-Zx81kPq0vW3nR7tY5uB2mL9aS4dF6gH1';
const GH = 'ghp_0123456789abcdefABCDEF0123456789abcd';

/** The full error text of a failed validation. */
function messageOf(raw: Record<string, unknown>): string {
  try {
    validateConfig(raw, 'terraform.tfvars');
  } catch (err) {
    expect(err).toBeInstanceOf(StackConfigError);
    return (err as Error).message;
  }
  throw new Error('expected validation to fail');
}

describe('secret keys pasted into tfvars', () => {
  it.each([
    ['cloudflare_api_token', TOKEN, 'export CLOUDFLARE_API_TOKEN=...'],
    ['gateway_auth_tokens', `alice=${TOKEN}`, 'export TF_VAR_gateway_auth_tokens='],
    ['gateway_auth_token', TOKEN, 'export TF_VAR_gateway_auth_tokens='],
    ['mcp_server_secrets', { GH }, 'export TF_VAR_mcp_server_secrets='],
    ['Cloudflare-API-Token', TOKEN, 'export CLOUDFLARE_API_TOKEN=...'],
  ])('%s is refused naming where it belongs, without its value', (key, value, instead) => {
    const message = messageOf({ [key]: value });
    expect(message).toContain(`${key}: is a secret and must not be in a tfvars file (its value would be written into cdk.tf.json); remove the line and ${instead}`);
    expect(message).not.toContain(TOKEN);
    expect(message).not.toContain(GH);
    expect(message).not.toContain('(got');
  });

  it('the known secret key message is exact for cloudflare_api_token', () => {
    expect(problemsOf(() => validateConfig({ cloudflare_api_token: TOKEN }))).toEqual([
      'cloudflare_api_token: is a secret and must not be in a tfvars file (its value would be written into cdk.tf.json); remove the line and export CLOUDFLARE_API_TOKEN=... (read by the Cloudflare provider at plan time)',
    ]);
  });

  it('an unknown key with a secret-looking value is reported without the value', () => {
    expect(problemsOf(() => validateConfig({ github_pat: GH }))).toEqual([
      'github_pat: unknown key; did you mean "gateway_port"? Rename it or remove it (terraform.tfvars.example lists every key) (got <hidden: looks like a secret>)',
    ]);
  });
  it('an unknown key with a secret-looking name is reported without the value, even a short one', () => {
    expect(messageOf({ db_password: 'hunter2' })).not.toContain('hunter2');
  });
  it('an unknown key with an ordinary value still shows it', () => {
    expect(problemsOf(() => validateConfig({ gatway_port: 3000 }))).toEqual([
      'gatway_port: unknown key; did you mean "gateway_port"? Rename it or remove it (terraform.tfvars.example lists every key) (got 3000)',
    ]);
  });
});

describe('looksLikeSecret', () => {
  it.each([GH, TOKEN, 'Bearer abcdefgh12', 'sk-ant-api03-abcdefgh', 'AKIAABCDEFGHIJKLMNOP', 'alice=0123456789abcdef0123', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig'])('%s looks like a secret', (v) => {
    expect(looksLikeSecret(v)).toBe(true);
  });
  it.each(['info', 'example.com', 'ghcr.io/me/mcp-gateway:1.2.3', 'docker_list_containers', '/var/run/docker.sock', 'npx', '@modelcontextprotocol/server-everything', 'Bearer {{x}}', 'https://mcp.example.com/mcp'])('%s does not', (v) => {
    expect(looksLikeSecret(v)).toBe(false);
  });
  it('looks inside lists and maps', () => {
    expect(containsSecretLookingValue({ a: ['x', GH] })).toBe(true);
    expect(containsSecretLookingValue({ a: ['x', 3] })).toBe(false);
  });
});

describe('literal secrets in mcp_servers are refused, showing the way', () => {
  const WAY = `write "{{secret:NAME}}" there and export TF_VAR_mcp_server_secrets='{"NAME":"<value>"}'`;
  it.each([
    ['an API key in environment', { gh: { command: 'npx', environment: { GITHUB_TOKEN: GH } } }, 'mcp_servers.gh.environment.GITHUB_TOKEN'],
    ['a credential-shaped value under an innocent name', { gh: { command: 'npx', environment: { GH: GH } } }, 'mcp_servers.gh.environment.GH'],
    ['an Authorization header', { r: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer abcdefgh12345678' } } }, 'mcp_servers.r.headers.Authorization'],
    ['a key in args', { gh: { command: 'npx', args: ['--api-key', GH] } }, 'mcp_servers.gh.args[1]'],
  ])('%s', (_what, servers, where) => {
    const message = messageOf({ mcp_servers: servers });
    expect(message).toContain(`mcp_servers: holds a literal secret, which would be written into the synthesized JSON; ${WAY}`);
    expect(message).toContain(`(got "${where}")`);
    expect(message).not.toContain(GH);
    expect(message).not.toContain('abcdefgh12345678');
  });

  it('accepts references in environment and headers and lists the names, sorted and unique', () => {
    const config = validateConfig({
      mcp_servers: {
        gh: { command: 'npx', environment: { GITHUB_TOKEN: '{{secret:GITHUB_TOKEN}}' } },
        r: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer {{ secret:R_KEY }}', 'X-Other': '{{secret:GITHUB_TOKEN}}' } },
      },
    });
    expect(config.mcpServerSecretNames).toEqual(['GITHUB_TOKEN', 'R_KEY']);
  });

  it('a pasted-in `docker run` entry\'s env holds references too (the gateway maps it onto environment)', () => {
    const config = validateConfig({ mcp_servers: { gh: { command: 'docker', args: ['run', '-i', '--rm', '-e', 'T', 'ghcr.io/github/github-mcp-server'], env: { T: '{{secret:GH}}' } } } });
    expect(config.mcpServerSecretNames).toEqual(['GH']);
  });
  it('env on a server that is not a pasted-in docker run is refused by the gateway check, naming environment', () => {
    expect(problemsOf(() => validateConfig({ mcp_servers: { gh: { command: 'npx', env: { T: '{{secret:GH}}' } } } })).join('\n')).toMatch(/mcpServers\.gh.*environment/);
  });

  it.each([
    ['a reference in args', { gh: { command: 'npx', args: ['--key={{secret:K}}'] } }, 'mcp_servers.gh.args[0]', 'holds a secret reference where the gateway does not resolve it; references work only in environment and headers values (argv and URLs are visible in ps and logs)'],
    ['a reference in the url', { r: { url: 'https://x.example.com/mcp?key={{secret:K}}' } }, 'mcp_servers.r.url', 'holds a secret reference where the gateway does not resolve it; references work only in environment and headers values (argv and URLs are visible in ps and logs)'],
    ['a malformed reference', { gh: { command: 'npx', environment: { K: '{{secret:my-key}}' } } }, 'mcp_servers.gh.environment.K', 'holds a malformed secret reference; write "{{secret:NAME}}" with NAME of letters, digits and "_" (e.g. GITHUB_TOKEN)'],
  ])('refuses %s', (_what, servers, where, message) => {
    expect(problemsOf(() => validateConfig({ mcp_servers: servers }))).toContain(`mcp_servers: ${message} (got "${where}")`);
  });

  it('refuses references in gateway_settings', () => {
    expect(problemsOf(() => validateConfig({ gateway_settings: { policy: { note: '{{secret:X}}' } } }))).toContain(
      'gateway_settings: holds a secret reference; references work only in mcp_servers environment and headers values (got "gateway_settings.policy.note")',
    );
  });
});

describe('upstream secrets in the synthesized stack', () => {
  const raw = {
    mcp_servers: {
      gh: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], environment: { GITHUB_PERSONAL_ACCESS_TOKEN: '{{secret:GITHUB_TOKEN}}' } },
      r: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer {{secret:REMOTE_KEY}}' } },
    },
  };

  it('declares mcp_server_secrets as a sensitive map(string) with a validation naming every referenced key', () => {
    const variable = synthJson(raw).variable?.mcp_server_secrets;
    expect(variable).toMatchObject({ type: 'map(string)', sensitive: true, nullable: false });
    expect(variable?.validation).toEqual([{
      condition: 'length(setsubtract(["GITHUB_TOKEN","REMOTE_KEY"], keys(var.mcp_server_secrets))) == 0',
      error_message: 'mcp_server_secrets must hold every secret mcp_servers references: GITHUB_TOKEN, REMOTE_KEY. export TF_VAR_mcp_server_secrets=\'{"NAME":"<value>",...}\'.',
    }]);
  });

  it('hands each secret to the gateway as MCP_GATEWAY_SECRET_<NAME> by reference; the config keeps the reference', () => {
    const env = envMap(onlyResource(synthJson(raw), 'docker_container'));
    expect(env.MCP_GATEWAY_SECRET_GITHUB_TOKEN).toBe('${var.mcp_server_secrets.GITHUB_TOKEN}');
    expect(env.MCP_GATEWAY_SECRET_REMOTE_KEY).toBe('${var.mcp_server_secrets.REMOTE_KEY}');
    const config = JSON.parse(env.MCP_GATEWAY_CONFIG_JSON);
    expect(config.mcpServers.gh.environment).toEqual({ GITHUB_PERSONAL_ACCESS_TOKEN: '{{secret:GITHUB_TOKEN}}' });
    expect(config.mcpServers.r.headers).toEqual({ Authorization: 'Bearer {{secret:REMOTE_KEY}}' });
  });

  it('puts no secret value into cdk.tf.json (the value only exists in TF_VAR_mcp_server_secrets at apply time)', () => {
    const value = 'ghp_ThisValueMustNeverBeSynthesized0000';
    const previous = process.env.TF_VAR_mcp_server_secrets;
    process.env.TF_VAR_mcp_server_secrets = JSON.stringify({ GITHUB_TOKEN: value, REMOTE_KEY: value });
    try {
      expect(synth(raw)).not.toContain(value);
    } finally {
      if (previous === undefined) delete process.env.TF_VAR_mcp_server_secrets;
      else process.env.TF_VAR_mcp_server_secrets = previous;
    }
  });

  it('asks for no variable and adds no env when nothing is referenced', () => {
    const json = synthJson({ mcp_servers: { e: { command: 'npx' } } });
    expect(json.variable?.mcp_server_secrets).toBeUndefined();
    expect(Object.keys(envMap(onlyResource(json, 'docker_container'))).filter((k) => k.startsWith('MCP_GATEWAY_SECRET_'))).toEqual([]);
  });
});
