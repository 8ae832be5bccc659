import { describe, expect, it } from 'vitest';
import { validateConfig } from '../constructs/config/validate-config';
import { StackConfigError } from '../constructs/errors';
import { checkStack, GUARDRAIL_RULES, type SynthesizedStack } from '../constructs/rules';
import { envMap, synthJson } from './helpers';
import { K8S_RAW } from './kubernetes-helpers';

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    validateConfig(raw);
    return [];
  } catch (err) {
    if (err instanceof StackConfigError) return err.problems.map((p) => `${p.key}: ${p.message}`);
    throw err;
  }
}

describe('docker_socket_proxy', () => {
  it('is off by default (the embedded default stack does not change)', () => {
    expect(validateConfig({}).dockerSocketProxy).toBe(false);
    expect(Object.keys(synthJson().resource!.docker_container)).toEqual(['gateway_container_B4FE70D0']);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a non-bool', { docker_socket_proxy: 'yes' }, 'docker_socket_proxy: must be a bool'],
    ['a tcp:// engine (no socket to protect)', { docker_socket_proxy: true, docker_socket_path: 'tcp://10.0.0.2:2375' }, 'docker_socket_proxy: fronts a local socket, but docker_socket_path is tcp://10.0.0.2:2375'],
    ['a base image without the proxy', { socket_proxy_base_image: 'debian:bookworm-slim' }, 'socket_proxy_base_image: has no effect without docker_socket_proxy = true'],
    ['the Kubernetes target', { ...K8S_RAW, docker_socket_proxy: true }, 'docker_socket_proxy: applies only to target = "docker"'],
  ])('refuses %s, naming the fix', (_name, raw, expected) => {
    const problems = problemsOf(raw);
    expect(problems.some((p) => p.startsWith(expected)), problems.join('\n')).toBe(true);
  });

  it('runs the proxy with the socket read-only and gives the gateway DOCKER_HOST and no socket', () => {
    const json = synthJson({ docker_socket_proxy: true, docker_socket_gid: 996 });
    const proxy = json.resource!.docker_container['socket-proxy_container_2602B88D'];
    expect(proxy).toMatchObject({
      name: 'mcp-gateway-socket-proxy',
      user: '65534:65534',
      group_add: ['996'],
      read_only: true,
      memory: 64,
      memory_swap: 64,
      capabilities: { drop: ['ALL'] },
      security_opts: ['no-new-privileges:true'],
      mounts: [{ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', read_only: true }],
      networks_advanced: [{ name: '${docker_network.network.name}', aliases: ['mcp-gateway-socket-proxy'] }],
    });
    expect(proxy.ports).toBeUndefined();
    expect(proxy.env).toBeUndefined();
    const gateway = json.resource!.docker_container.gateway_container_B4FE70D0;
    expect(envMap(gateway).DOCKER_HOST).toBe('tcp://mcp-gateway-socket-proxy:2375');
    expect(gateway.mounts).toEqual([{ type: 'volume', source: '${docker_volume.gateway_audit_19906563.name}', target: '/var/lib/mcp-gateway' }]);
    expect(gateway.group_add).toBeUndefined();
    const image = json.resource!.docker_image['socket-proxy-image_A2C073B0'];
    expect(image.name).toBe('mcp-socket-proxy:local');
    expect(image.build.context).toMatch(/socket-proxy$/);
    expect(checkStack(json as SynthesizedStack, GUARDRAIL_RULES)).toEqual([]);
  });

  it('opens the upstream and lifecycle endpoints only when image servers or lifecycle tools are configured', () => {
    const json = synthJson({
      docker_socket_proxy: true,
      socket_proxy_base_image: 'mcp-socket-proxy-base:local',
      mcp_servers: { git: { image: 'mcp/git' } },
      gateway_settings: { tools: { enableLifecycle: true } },
    });
    expect(json.resource!.docker_container['socket-proxy_container_2602B88D'].env).toEqual(['ALLOW_UPSTREAMS=1', 'ALLOW_LIFECYCLE=1']);
    expect(json.resource!.docker_image['socket-proxy-image_A2C073B0'].build.build_args).toEqual({ BASE_IMAGE: 'mcp-socket-proxy-base:local' });
  });
});
