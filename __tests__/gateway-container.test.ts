import { Network } from '@cdktf/provider-docker/lib/network';
import { App, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { GatewayContainer } from '../constructs/gateway-container';
import { GatewayImage } from '../constructs/gateway-image';
import { buildStack, envMap, FIXTURE_CONTEXT, onlyResource, problemsOf, ROOT, synth, synthJson, TUNNEL_RAW } from './helpers';

const local = synth();

describe('GatewayContainer defaults (local-only stack)', () => {
  it.each<[string, Record<string, unknown>]>([
    ['name', { name: 'mcp-gateway' }],
    ['published on 127.0.0.1 only', { ports: [{ internal: 3000, external: 3000, ip: '127.0.0.1', protocol: 'tcp' }] }],
    ['nc healthcheck in CMD form', { healthcheck: { test: ['CMD', 'nc', '-z', '127.0.0.1', '3000'], interval: '30s', timeout: '5s', retries: 3, start_period: '15s' } }],
    ['memory limit with equal swap', { memory: 512, memory_swap: 512 }],
    ['restart unless-stopped', { restart: 'unless-stopped' }],
    ['deploy waits for healthy, stop grace for the audit flush', { wait: true, wait_timeout: 120, destroy_grace_seconds: 30 }],
    ['non-root user with the socket group', { user: '1000:1000', group_add: ['999'] }],
    [
      'read-only root with tmpfs /tmp and a tmpfs home owned by the gateway user (command servers\' npm cache; npx runs bins from it)',
      { read_only: true, tmpfs: { '/tmp': 'rw,noexec,nosuid,size=64m', '/home/node': 'rw,exec,nosuid,nodev,size=256m,uid=1000,gid=1000,mode=0700' } },
    ],
    ['all capabilities dropped', { capabilities: { drop: ['ALL'] } }],
    ['no-new-privileges', { security_opts: ['no-new-privileges:true'] }],
    ['json-file log rotation', { log_driver: 'json-file', log_opts: { 'max-size': '10m', 'max-file': '3' } }],
    ['on the private network', { networks_advanced: [{ name: '${docker_network.network.name}' }] }],
    ['runs the built image by id', { image: '${docker_image.gateway-image_0FD5DE07.image_id}' }],
    [
      'audit volume and docker socket mounted',
      {
        mounts: [
          { type: 'volume', source: '${docker_volume.gateway_audit_19906563.name}', target: '/var/lib/mcp-gateway' },
          { type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock' },
        ],
      },
    ],
    [
      'labels',
      {
        labels: [
          { label: 'project', value: 'docker-mcp-gateway' },
          { label: 'component', value: 'gateway' },
          { label: 'managed-by', value: 'cdktf' },
          { label: 'mcp.gateway.role', value: 'gateway' },
        ],
      },
    ],
  ])('%s', (_name, properties) => {
    expect(local).toHaveResourceWithProperties('docker_container', properties);
  });

  it('passes exactly the contract env vars, the bearer tokens by reference only', () => {
    const env = envMap(onlyResource(JSON.parse(local), 'docker_container'));
    expect(env).toEqual({
      MCP_GATEWAY_HOST: '0.0.0.0',
      MCP_GATEWAY_PORT: '3000',
      MCP_DOCKER_LOG_LEVEL: 'info',
      MCP_DOCKER_STRUCTURED_LOGS: 'true',
      MCP_DOCKER_AUDIT_FILE: '/var/lib/mcp-gateway/audit/audit.log',
      MCP_GATEWAY_CONFIG_JSON: '{"mcpServers":{}}',
      MCP_GATEWAY_AUTH_TOKENS: '${var.gateway_auth_tokens}',
    });
  });

  it('declares the bearer tokens as a sensitive variable with a format check', () => {
    const variable = JSON.parse(local).variable.gateway_auth_tokens;
    expect(variable).toMatchObject({ type: 'string', sensitive: true, nullable: false, default: '' });
    expect(variable.validation[0].condition).toContain('var.gateway_auth_tokens');
  });

  it('creates the audit volume with labels', () => {
    expect(local).toHaveResourceWithProperties('docker_volume', { name: 'mcp-gateway-audit', labels: [{ label: 'project', value: 'docker-mcp-gateway' }, { label: 'component', value: 'gateway-audit' }, { label: 'managed-by', value: 'cdktf' }] });
  });

  it('creates a private bridge network', () => {
    expect(local).toHaveResourceWithProperties('docker_network', { name: 'mcp-gateway', driver: 'bridge' });
  });

  it('configures the docker provider from docker_host', () => {
    expect(local).toHaveProviderWithProperties('docker', { host: 'unix:///var/run/docker.sock' });
    expect(synth({ docker_host: 'ssh://ops@docker-host' })).toHaveProviderWithProperties('docker', { host: 'ssh://ops@docker-host' });
  });

  it('outputs the local URL', () => {
    expect(JSON.parse(local).output).toMatchObject({
      local_url: { value: 'http://127.0.0.1:3000', description: 'Gateway URL on the Docker host (127.0.0.1 only).' },
      mcp_url: { value: 'http://127.0.0.1:3000/mcp' },
      sse_url: { value: 'http://127.0.0.1:3000/sse' },
    });
  });
});

describe('GatewayContainer from config', () => {
  it('follows gateway_port, memory_limit, log_level and docker_socket_gid', () => {
    const json = synthJson({ gateway_port: 8080, memory_limit: '1g', log_level: 'debug', docker_socket_gid: 998 });
    const container = onlyResource(json, 'docker_container');
    expect(container.ports).toEqual([{ internal: 8080, external: 8080, ip: '127.0.0.1', protocol: 'tcp' }]);
    expect(container.healthcheck.test).toEqual(['CMD', 'nc', '-z', '127.0.0.1', '8080']);
    expect([container.memory, container.memory_swap]).toEqual([1024, 1024]);
    expect(container.group_add).toEqual(['998']);
    expect(envMap(container)).toMatchObject({ MCP_GATEWAY_PORT: '8080', MCP_DOCKER_LOG_LEVEL: 'debug' });
  });

  it('uses DOCKER_HOST and mounts no socket for a tcp:// endpoint', () => {
    const container = onlyResource(synthJson({ docker_socket_path: 'tcp://docker-proxy:2375' }), 'docker_container');
    expect(envMap(container).DOCKER_HOST).toBe('tcp://docker-proxy:2375');
    expect(container.mounts).toEqual([{ type: 'volume', source: '${docker_volume.gateway_audit_19906563.name}', target: '/var/lib/mcp-gateway' }]);
    expect(container.group_add).toBeUndefined();
  });

  it('mounts a custom socket path at /var/run/docker.sock without DOCKER_HOST', () => {
    const container = onlyResource(synthJson({ docker_socket_path: '/run/user/1000/docker.sock' }), 'docker_container');
    expect(container.mounts[1]).toEqual({ type: 'bind', source: '/run/user/1000/docker.sock', target: '/var/run/docker.sock' });
    expect(envMap(container).DOCKER_HOST).toBeUndefined();
  });

  it('passes gateway_settings and mcp_servers as one JSON object', () => {
    const container = onlyResource(
      synthJson({ gateway_settings: { policy: { roles: { admin: { tools: ['*'] } } }, audit: { enabled: true } }, mcp_servers: { everything: { command: 'npx' } } }),
      'docker_container',
    );
    expect(JSON.parse(envMap(container).MCP_GATEWAY_CONFIG_JSON)).toEqual({ policy: { roles: { admin: { tools: ['*'] } } }, audit: { enabled: true }, mcpServers: { everything: { command: 'npx' } } });
  });

  it('keeps escaped template sequences escaped, so Terraform hands the gateway a literal "${HOME}"', () => {
    const container = onlyResource(synthJson({ mcp_servers: { s: { command: 'x', environment: { H: '$${HOME}' } } } }), 'docker_container');
    expect(envMap(container).MCP_GATEWAY_CONFIG_JSON).toBe('{"mcpServers":{"s":{"command":"x","environment":{"H":"$${HOME}"}}}}');
  });

  it('adds the Access team domain, AUD and public hostname when the tunnel is on', () => {
    const env = envMap(Object.values(synthJson(TUNNEL_RAW).resource!.docker_container).find((c) => c.name === 'mcp-gateway')!);
    expect(env).toMatchObject({
      MCP_GATEWAY_ACCESS_TEAM_DOMAIN: 'acme.cloudflareaccess.com',
      MCP_GATEWAY_ACCESS_AUD: '${cloudflare_zero_trust_access_application.access_application_90F11FAE.aud}',
      MCP_GATEWAY_PUBLIC_HOSTNAME: 'docker-mcp.example.com',
    });
  });

  it('names Access service tokens for the gateway by their client ids, resolved at apply', () => {
    const env = envMap(Object.values(synthJson({ ...TUNNEL_RAW, service_tokens: ['ci', 'claude-desktop'] }).resource!.docker_container).find((c) => c.name === 'mcp-gateway')!);
    expect(env.MCP_GATEWAY_ACCESS_CLIENT_NAMES).toMatch(/^ci=\$\{cloudflare_zero_trust_access_service_token\.[\w-]+\.client_id\},claude-desktop=\$\{cloudflare_zero_trust_access_service_token\.[\w-]+\.client_id\}$/);
    const without = envMap(Object.values(synthJson({ ...TUNNEL_RAW, service_tokens: [] }).resource!.docker_container).find((c) => c.name === 'mcp-gateway')!);
    expect(without.MCP_GATEWAY_ACCESS_CLIENT_NAMES).toBeUndefined();
  });

  it('synthesizes nothing but the provider when the gateway is disabled', () => {
    const json = synthJson({ enable_docker_mcp_gateway: false });
    expect(json.resource).toBeUndefined();
    expect(Object.keys(json.provider!)).toEqual(['docker']);
  });
});

describe('GatewayContainer props validation', () => {
  const scope = () => {
    const stack = new TerraformStack(Testing.app(), 'mcp-gateway');
    const image = new GatewayImage(stack, 'image', { projectDir: ROOT, buildContextDir: FIXTURE_CONTEXT });
    const network = new Network(stack, 'network', { name: 'n' });
    return { stack, image, network };
  };

  it('refuses a literal upstream secret (only references to a sensitive variable)', () => {
    const { stack, image, network } = scope();
    const variable = new TerraformVariable(stack, 'tokens', { type: 'string', sensitive: true });
    expect(
      problemsOf(() => new GatewayContainer(stack, 'gateway', { image, network, authTokens: variable.stringValue, upstreamSecrets: { GH: 'ghp_literalValue0123456789' } })),
    ).toEqual(['upstreamSecrets.GH: must be a reference to a sensitive TerraformVariable, never a literal (it would be written into cdk.tf.json) (got "<redacted>")']);
  });

  it('reports every bad prop at once', () => {
    const { stack, image, network } = scope();
    expect(
      problemsOf(
        () =>
          new GatewayContainer(stack, 'gateway', {
            image,
            network,
            authTokens: 'alice=secret',
            port: 0,
            memoryMiB: 10,
            containerName: '-bad',
            dockerSocketPath: 'relative.sock',
            dockerSocketGid: -5,
          }),
      ),
    ).toEqual([
      'port: must be an integer between 1 and 65535 (got 0)',
      'memoryMiB: must be at least 64 (MiB) (got 10)',
      'containerName: must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (got "-bad")',
      'dockerSocketPath: must be an absolute socket path or a tcp:// endpoint (got "relative.sock")',
      'dockerSocketGid: must be a non-negative integer group id (got -5)',
      'authTokens: must be a reference to a sensitive TerraformVariable, never a literal (it would be written into cdk.tf.json) (got "<redacted>")',
    ]);
  });

  it('bounds the scratch tmpfs: a whole number of MiB, at least 16 and below the memory limit it counts against', () => {
    const make = (scratchSizeMiB: number) => () => {
      const { stack, image, network } = scope();
      return new GatewayContainer(stack, 'gateway', { image, network, authTokens: '', memoryMiB: 256, scratchSizeMiB });
    };
    expect(problemsOf(make(8))).toEqual(['scratchSizeMiB: must be a whole number of MiB from 16 to below memoryMiB (256): the tmpfs counts against the memory limit (got 8)']);
    expect(problemsOf(make(256))).toHaveLength(1);
    const { stack, image, network } = scope();
    const c = new GatewayContainer(stack, 'gateway', { image, network, authTokens: '', memoryMiB: 256, scratchSizeMiB: 64 });
    expect(Testing.synth(stack)).toContain('rw,exec,nosuid,nodev,size=64m,uid=1000,gid=1000,mode=0700');
    expect(c.containerName).toBe('mcp-gateway');
  });

  it('skips unresolved tokens', () => {
    const { stack, image, network } = scope();
    const app = stack.node.root as App;
    expect(app).toBeDefined();
    expect(() => new GatewayContainer(stack, 'gateway', { image, network, authTokens: '', port: network.id as unknown as number })).not.toThrow();
  });
});

describe('GatewayStack state backend', () => {
  it('keeps cdktf\'s default local backend unless stateFile is given', () => {
    expect(JSON.parse(Testing.synth(buildStack({}, { stateFile: '/srv/state/mcp.tfstate' }))).terraform.backend).toEqual({ local: { path: '/srv/state/mcp.tfstate' } });
    expect(JSON.parse(Testing.synth(buildStack())).terraform?.backend).toBeUndefined();
  });
});

describe('gateway_auth_tokens validation (same grammar as the gateway)', () => {
  const pattern = (condition: string) => new RegExp(/regex\("([^"]+)"/.exec(condition)![1]);
  it('requires tokens in the local-only stack', () => {
    const { condition, error_message } = synthJson().variable!.gateway_auth_tokens.validation[0];
    expect(condition).not.toContain('== ""');
    expect(error_message).toContain('required without the tunnel');
    const re = pattern(condition);
    expect(re.test('alice=0123456789abcdef,ci=fedcba9876543210fedcba')).toBe(true);
    expect(re.test('')).toBe(false);
    expect(re.test('alice=short')).toBe(false);
    expect(re.test('0123456789abcdef0123')).toBe(false);
  });
  it('allows no tokens behind Access', () => {
    const { condition } = synthJson(TUNNEL_RAW).variable!.gateway_auth_tokens.validation[0];
    expect(condition.startsWith('var.gateway_auth_tokens == "" || can(regex(')).toBe(true);
  });
});
