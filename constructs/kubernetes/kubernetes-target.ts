import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { GatewayAccess } from '../access';
import { authTokensVariable } from '../auth-tokens-variable';
import type { StackConfig } from '../config/stack-config';
import { buildClientConfigs, escapeForTerraform, type Json } from '../client-configs';
import { declareCloudflareEdge } from '../cloudflare-edge';
import { oauthRedirectUris } from '../config/oauth-config';
import { GatewayTunnel } from '../tunnel';
import { TunnelIngress } from '../tunnel-ingress';
import { UpstreamSecrets } from '../upstream-secrets';
import { ACCESS_CONFIG_NAME, appLabels, AUTH_SECRET_KEY, AUTH_SECRET_NAME, GATEWAY_NAME, TUNNEL_SECRET_KEY, TUNNEL_SECRET_NAME, UPSTREAM_SECRETS_NAME } from './defaults';
import { gatewayObjects, type KubernetesObject } from './gateway-objects';

/** Folder, inside the stack's synth folder, holding the plain manifests for kubectl and GitOps users. */
export const MANIFESTS_DIR = 'kubernetes';
/** The manifests file in {@link MANIFESTS_DIR}. */
export const MANIFESTS_FILE = 'mcp-gateway.yaml';

/** Props of {@link KubernetesTarget}. */
export interface KubernetesTargetProps {
  /** The validated configuration, with `target = "kubernetes"`. */
  readonly config: StackConfig;
  /** Name of the sensitive variable with the bearer tokens (shared with the Docker target). */
  readonly authTokensVariable: string;
}

/**
 * The Kubernetes target: every object known at synth time (gatewayObjects) as one `kubernetes_manifest` each, and
 * the same objects as a YAML file beside cdk.tf.json (`kubernetes/mcp-gateway.yaml`) for kubectl and GitOps users.
 * Values known only at apply time are typed `kubernetes_secret_v1` / `kubernetes_config_map_v1` resources: the
 * bearer tokens (from the sensitive variable), the tunnel token, and the Access ids. With the tunnel, the same
 * Cloudflare constructs as the Docker target, the tunnel's origin being the gateway Service.
 */
export class KubernetesTarget extends Construct {
  /** The objects written as manifests (and as YAML). */
  public readonly objects: readonly KubernetesObject[];
  /** One `kubernetes_manifest` per object, by `<kind>/<name>` (namespaces) or `<kind>/<namespace>/<name>`. */
  public readonly manifests: Readonly<Record<string, Manifest>>;
  /** The Secret holding the bearer tokens. */
  public readonly authSecret: SecretV1;
  /** The objects as a multi-document YAML file (see {@link writeManifests}). */
  public readonly yaml: string;
  /** In-cluster URL of the gateway Service. */
  public readonly serviceUrl: string;
  /** The tunnel; undefined unless enabled. */
  public readonly tunnel?: GatewayTunnel;
  /** Access; undefined unless the tunnel is enabled. */
  public readonly access?: GatewayAccess;

  constructor(scope: Construct, id: string, props: KubernetesTargetProps) {
    super(scope, id);
    const { config } = props;
    const k8s = config.kubernetes;
    if (!k8s) throw new Error('KubernetesTarget needs target = "kubernetes"');
    const ns = k8s.namespace;
    // Outputs carry the same plain names as the Docker target's (public_url, access_aud, ...).
    const stack = TerraformStack.of(this);
    // Reads KUBE_CONFIG_PATH / KUBE_CTX (or in-cluster credentials) from the environment: nothing in the JSON.
    new KubernetesProvider(this, 'provider', {});

    const authTokens = authTokensVariable(stack, props.authTokensVariable, config);

    this.objects = gatewayObjects(config);
    const manifests: Record<string, Manifest> = {};
    // Namespaces first; every other object depends on the manifest of its own namespace.
    const namespaces = new Map<string, Manifest>();
    for (const object of this.objects.filter((o) => o.kind === 'Namespace')) {
      const name = object.metadata.name!;
      const manifest = new Manifest(this, name === ns ? 'namespace' : `namespace-${name}`, { manifest: object as Record<string, unknown> });
      namespaces.set(name, manifest);
      manifests[`Namespace/${name}`] = manifest;
    }
    const nsManifest = namespaces.get(ns)!;
    for (const object of this.objects.filter((o) => o.kind !== 'Namespace')) {
      const own = namespaces.get(object.metadata.namespace ?? ns) ?? nsManifest;
      manifests[`${object.kind}/${object.metadata.namespace}/${object.metadata.name}`] = new Manifest(this, `${object.kind.toLowerCase()}-${object.metadata.name}`, {
        manifest: object as Record<string, unknown>,
        dependsOn: [own],
      });
    }
    this.manifests = manifests;

    this.authSecret = new SecretV1(this, 'auth-secret', {
      metadata: { name: AUTH_SECRET_NAME, namespace: ns, labels: appLabels('gateway') },
      type: 'Opaque',
      data: { [AUTH_SECRET_KEY]: authTokens.stringValue },
      dependsOn: [nsManifest],
    });
    // `{{secret:NAME}}` in mcp_servers: the same sensitive map variable as the Docker target, into a Secret whose
    // keys the Deployment maps onto MCP_GATEWAY_SECRET_<NAME> (gatewayDeployment's upstreamSecretNames).
    if (config.mcpServerSecretNames.length > 0) {
      const upstream = new UpstreamSecrets(stack, 'upstream-secrets', { names: config.mcpServerSecretNames });
      new SecretV1(this, 'upstream-secrets', {
        metadata: { name: UPSTREAM_SECRETS_NAME, namespace: ns, labels: appLabels('gateway') },
        type: 'Opaque',
        data: upstream.references,
        dependsOn: [nsManifest],
      });
    }
    this.serviceUrl = `http://${GATEWAY_NAME}.${ns}.svc.cluster.local:${config.gatewayPort}`;
    new TerraformOutput(stack, 'service_url', { value: this.serviceUrl, description: 'Gateway URL inside the cluster.' });
    if (k8s.ingressHost && k8s.ingress !== 'none') {
      new TerraformOutput(stack, 'ingress_url', { value: `https://${k8s.ingressHost}/mcp`, description: 'Gateway MCP endpoint through the ingress.' });
    }

    if (config.enableTunnel) {
      const { tunnel, access } = declareCloudflareEdge(this, stack, config);
      this.tunnel = tunnel;
      this.access = access;
      new TunnelIngress(this, 'tunnel-ingress', { tunnel, gateway: { internalUrl: this.serviceUrl }, access });
      new SecretV1(this, 'tunnel-secret', {
        metadata: { name: TUNNEL_SECRET_NAME, namespace: ns, labels: appLabels('tunnel-connector') },
        type: 'Opaque',
        data: { [TUNNEL_SECRET_KEY]: tunnel.token },
        dependsOn: [nsManifest],
      });
      const accessEnv: Record<string, string> = {
        MCP_GATEWAY_ACCESS_TEAM_DOMAIN: access.teamDomain,
        MCP_GATEWAY_ACCESS_AUD: access.aud,
        MCP_GATEWAY_PUBLIC_HOSTNAME: access.hostname,
      };
      if (access.serviceTokens.length > 0) {
        accessEnv.MCP_GATEWAY_ACCESS_CLIENT_NAMES = access.serviceTokens.map((t) => `${t.name}=${t.token.clientId}`).join(',');
      }
      new ConfigMapV1(this, 'access-config', {
        metadata: { name: ACCESS_CONFIG_NAME, namespace: ns, labels: appLabels('gateway') },
        data: accessEnv,
        dependsOn: [nsManifest],
      });
      new TerraformOutput(stack, 'public_url', { value: this.tunnel.publicUrl, description: 'Gateway URL through the tunnel, behind Access.' });
      // The same ready-to-paste client configurations as the Docker target behind the tunnel (literal URL, so
      // `npm run client-config` reads them from cdk.tf.json).
      const emailLogin = Boolean(config.accessManagedOAuth && access.allowPolicy);
      const mcpUrl = `${this.tunnel.publicUrl}/mcp`;
      new TerraformOutput(stack, 'mcp_url', { value: mcpUrl, description: 'MCP endpoint (Streamable HTTP) clients connect to.' });
      new TerraformOutput(stack, 'client_configs', {
        value: escapeForTerraform(buildClientConfigs({ mcpUrl, mode: 'tunnel', emailLogin, serviceTokenName: config.serviceTokens[0] }) as unknown as Json),
        description: 'Ready-to-paste MCP client configurations (placeholders, never a secret); `npm run client-config -- <client>` prints them.',
      });
      if (emailLogin) {
        new TerraformOutput(stack, 'oauth_redirect_uris', { value: oauthRedirectUris(config), description: 'Redirect URIs Access Managed OAuth admits besides localhost/127.0.0.1 callbacks.' });
      }
      new TerraformOutput(stack, 'access_aud', { value: access.aud, description: 'AUD tag of the Access application.' });
      const clientIds: Record<string, string> = {};
      const clientSecrets: Record<string, string> = {};
      for (const t of access.serviceTokens) {
        clientIds[t.name] = t.token.clientId;
        clientSecrets[t.name] = t.token.clientSecret;
      }
      new TerraformOutput(stack, 'service_token_client_ids', { value: clientIds, description: 'CF-Access-Client-Id per service token.' });
      new TerraformOutput(stack, 'service_token_client_secrets', { value: clientSecrets, sensitive: true, description: 'CF-Access-Client-Secret per service token.' });
    }

    this.yaml = manifestsYaml(this.objects);
  }
}

/**
 * The objects as one multi-document YAML file. Secrets and the Access ConfigMap are not in it (their values exist
 * only at apply time): the header says which to create with kubectl.
 */
export function manifestsYaml(objects: readonly KubernetesObject[]): string {
  const header = [
    '# mcp-gateway: plain manifests for kubectl / GitOps, synthesized beside cdk.tf.json (same objects as the kubernetes_manifest resources).',
    `# Not included, because their values exist only at apply time: Secret ${AUTH_SECRET_NAME} (key ${AUTH_SECRET_KEY}),`,
    `# and with the tunnel Secret ${TUNNEL_SECRET_NAME} (key ${TUNNEL_SECRET_KEY}) and ConfigMap ${ACCESS_CONFIG_NAME}.`,
    `# kubectl -n <namespace> create secret generic ${AUTH_SECRET_NAME} --from-env-file=<file with ${AUTH_SECRET_KEY}=name=token>`,
    // Only when mcp_servers references secrets (the Deployment then reads this Secret).
    ...(JSON.stringify(objects).includes(UPSTREAM_SECRETS_NAME)
      ? [`# mcp_servers references secrets: Secret ${UPSTREAM_SECRETS_NAME}, one key per {{secret:NAME}} (kubectl create secret generic ${UPSTREAM_SECRETS_NAME} --from-literal=NAME=<value>).`]
      : []),
  ].join('\n');
  return `${header}\n${objects.map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('')}`;
}

/**
 * Writes the target's YAML beside the stack's cdk.tf.json (`<outdir>/stacks/<stack>/kubernetes/mcp-gateway.yaml`).
 * Called by main.ts after `app.synth()` (guardrails have passed by then); returns the file written.
 */
export function writeManifests(target: KubernetesTarget, outdir: string): string {
  const dir = path.join(outdir, 'stacks', TerraformStack.of(target).node.id, MANIFESTS_DIR);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, MANIFESTS_FILE);
  writeFileSync(file, target.yaml);
  return file;
}
