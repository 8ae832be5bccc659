import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseTfvars } from '../constructs/config/load-config';
import { ROOT, TUNNEL_RAW } from './helpers';

/** The smallest valid Kubernetes tfvars object. */
export const K8S_RAW: Readonly<Record<string, unknown>> = {
  target: 'kubernetes',
  docker_image: 'ghcr.io/acme/mcp-gateway',
  docker_host: 'tcp://docker.example.internal:2376',
  ingress_host: 'mcp.example.com',
};

/** K8S_RAW with the tunnel, Access, a service token, a ServiceMonitor and servers of all three kinds. */
export const K8S_FULL_RAW: Readonly<Record<string, unknown>> = {
  ...K8S_RAW,
  ...TUNNEL_RAW,
  service_tokens: ['ci'],
  enable_service_monitor: true,
  docker_tls_secret: 'docker-client-tls',
  mcp_servers: {
    git: { image: 'mcp/git' },
    everything: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] },
    wiki: { url: 'http://wiki.tools.svc.cluster.local:8080/mcp' },
  },
};

/** The seed-style Kubernetes tfvars of the README's "Kubernetes target" section, parsed. */
export async function readmeSeed(): Promise<Record<string, unknown>> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Kubernetes target'));
  const block = /```hcl\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README has no hcl block in "Kubernetes target"');
  return parseTfvars(block[1], 'README.md');
}

/** The commented Kubernetes block of terraform.tfvars.example, uncommented and parsed. */
export async function exampleKubernetesBlock(): Promise<Record<string, unknown>> {
  const text = readFileSync(path.join(ROOT, 'terraform.tfvars.example'), 'utf8');
  const start = text.indexOf('# --- Kubernetes target');
  const end = text.indexOf('# --- end Kubernetes target');
  if (start < 0 || end < 0) throw new Error('terraform.tfvars.example has no Kubernetes block');
  const lines = text.slice(start, end).split('\n').filter((l) => /^# [a-z_]+\s+=/.test(l)).map((l) => l.slice(2));
  return parseTfvars(lines.join('\n'), 'terraform.tfvars.example');
}

/** Docker reached through a socket proxy pinned to a Docker node (instead of docker_host). */
export const K8S_PROXY_NODE_RAW: Readonly<Record<string, unknown>> = {
  target: 'kubernetes',
  docker_image: 'ghcr.io/acme/mcp-gateway',
  ingress_host: 'mcp.example.com',
  docker_proxy_node: 'docker-node-1',
  socket_proxy_image: 'ghcr.io/acme/mcp-socket-proxy:0.1.0',
  docker_socket_gid: 996,
  mcp_servers: { git: { image: 'mcp/git' } },
};
