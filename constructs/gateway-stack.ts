import * as path from 'node:path';
import { Network } from '@cdktf/provider-docker/lib/network';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Aspects, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { GatewayAccess } from './access';
import { buildClientConfigs, escapeForTerraform, type Json } from './client-configs';
import { declareCloudflareEdge } from './cloudflare-edge';
import { authTokensVariable } from './auth-tokens-variable';
import { oauthRedirectUris } from './config/oauth-config';
import type { StackConfig } from './config/stack-config';
import { GatewayDns } from './dns';
import { GatewayContainer } from './gateway-container';
import { GatewayImage } from './gateway-image';
import { KubernetesTarget } from './kubernetes/kubernetes-target';
import { SocketProxyContainer } from './socket-proxy-container';
import { standardLabels } from './labels';
import { GUARDRAIL_RULES, GuardrailAspect, type GuardrailRule } from './rules';
import { GatewayTunnel } from './tunnel';
import { TunnelConnector } from './tunnel-connector';
import { TunnelIngress } from './tunnel-ingress';
import { UpstreamSecrets } from './upstream-secrets';
import { applyStateBackend } from './terraform-backend';

/** Name of the sensitive variable holding the gateway's bearer tokens (`TF_VAR_gateway_auth_tokens`). */
export const AUTH_TOKENS_VARIABLE = 'gateway_auth_tokens';

/** Props of {@link GatewayStack}. */
export interface GatewayStackProps {
  /** The validated configuration (from terraform.tfvars or the embedded default). */
  readonly config: StackConfig;
  /**
   * Project root: gateway-image/ is read from it and Terraform runs in its cdktf.out/stacks/<stack>.
   * @default - process.cwd()
   */
  readonly projectDir?: string;
  /**
   * The synth output folder (main.ts passes CDKTF_OUTDIR), which fixes where Terraform runs.
   * @default - `<projectDir>/cdktf.out`
   */
  readonly outdir?: string;
  /**
   * Build context of the gateway image.
   * @default - `<projectDir>/gateway-image`
   */
  readonly buildContextDir?: string;
  /**
   * Guardrails applied to the synthesized stack.
   * @default GUARDRAIL_RULES (all of them)
   */
  readonly guardrails?: readonly GuardrailRule[];
  /**
   * Path of the local Terraform state file. CI sets it (MCP_STACK_STATE_FILE) to a folder that outlives the
   * runner's checkout, on the Docker host's self-hosted runner.
   * @default - cdktf's default: terraform.<stack>.tfstate in the project directory
   */
  readonly stateFile?: string;
}

/**
 * The whole deployment, composed from config: the gateway image, a private network and the gateway container
 * (always, unless the gateway is disabled); with the tunnel enabled also the Cloudflare tunnel, its cloudflared
 * connector, the DNS record, Access application/policies/service tokens and the tunnel ingress.
 * The Cloudflare provider exists only then, so the local-only stack needs no credentials.
 */
export class GatewayStack extends TerraformStack {
  /** The gateway image; undefined when the gateway is disabled. */
  public readonly image?: GatewayImage;
  /** The private network; undefined when the gateway is disabled. */
  public readonly network?: Network;
  /** The gateway container; undefined when the gateway is disabled. */
  public readonly gateway?: GatewayContainer;
  /** The tunnel; undefined unless enabled. */
  public readonly tunnel?: GatewayTunnel;
  /** The cloudflared connector; undefined unless the tunnel is enabled. */
  public readonly connector?: TunnelConnector;
  /** The DNS record; undefined unless the tunnel is enabled. */
  public readonly dns?: GatewayDns;
  /** Access; undefined unless the tunnel is enabled. */
  public readonly access?: GatewayAccess;
  /** The tunnel ingress; undefined unless the tunnel is enabled. */
  public readonly ingress?: TunnelIngress;
  /** The Docker socket proxy; undefined unless `docker_socket_proxy = true`. */
  public readonly socketProxy?: SocketProxyContainer;
  /** The Kubernetes target; undefined unless `target = "kubernetes"` (then the Docker constructs are absent). */
  public readonly kubernetes?: KubernetesTarget;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id);
    const { config } = props;
    const projectDir = props.projectDir ?? process.cwd();

    applyStateBackend(this, config.stateBackend, props.stateFile);
    if (config.target === 'kubernetes') {
      Aspects.of(this).add(new GuardrailAspect(props.guardrails ?? GUARDRAIL_RULES));
      this.kubernetes = new KubernetesTarget(this, 'kubernetes', { config, authTokensVariable: AUTH_TOKENS_VARIABLE });
      return;
    }
    new DockerProvider(this, 'docker', { host: config.dockerHost });
    Aspects.of(this).add(new GuardrailAspect(props.guardrails ?? GUARDRAIL_RULES));
    if (!config.enableGateway) return;

    const authTokens = authTokensVariable(this, AUTH_TOKENS_VARIABLE, config);

    // Only when mcp_servers references secrets: a stack without them asks for no variable.
    const upstreamSecrets = config.mcpServerSecretNames.length > 0
      ? new UpstreamSecrets(this, 'upstream-secrets', { names: config.mcpServerSecretNames })
      : undefined;

    this.image = new GatewayImage(this, 'gateway-image', {
      projectDir,
      outdir: props.outdir,
      buildContextDir: props.buildContextDir ?? path.join(projectDir, 'gateway-image'),
      baseImage: config.baseImage,
      prebuiltImage: config.dockerImage,
    });
    this.network = new Network(this, 'network', {
      name: 'mcp-gateway',
      driver: 'bridge',
      labels: standardLabels('network'),
    });

    if (config.enableTunnel) {
      ({ tunnel: this.tunnel, access: this.access, dns: this.dns } = declareCloudflareEdge(this, this, config));
    }

    if (config.dockerSocketProxy) {
      const proxyImage = new GatewayImage(this, 'socket-proxy-image', {
        projectDir,
        outdir: props.outdir,
        buildContextDir: path.join(projectDir, 'socket-proxy'),
        baseImage: config.socketProxyBaseImage,
        imageName: 'mcp-socket-proxy:local',
      });
      const settings = config.gatewaySettings as Record<string, any>;
      this.socketProxy = new SocketProxyContainer(this, 'socket-proxy', {
        image: proxyImage,
        network: this.network,
        socketPath: config.dockerSocketPath,
        socketGid: config.dockerSocketGid,
        allowUpstreams: Object.values(config.mcpServers).some((s) => typeof s === 'object' && s !== null && !Array.isArray(s) && typeof (s as Record<string, unknown>).image === 'string'),
        allowLifecycle: settings.tools?.enableLifecycle === true,
      });
    }

    this.gateway = new GatewayContainer(this, 'gateway', {
      image: this.image,
      network: this.network,
      authTokens: authTokens.stringValue,
      upstreamSecrets: upstreamSecrets?.references,
      access: this.access,
      port: config.gatewayPort,
      memoryMiB: config.memoryMiB,
      logLevel: config.logLevel,
      settings: config.gatewaySettings,
      mcpServers: config.mcpServers,
      // With the proxy the gateway gets its tcp:// endpoint: DOCKER_HOST set, no socket mounted, no group added.
      dockerSocketPath: this.socketProxy?.endpoint ?? config.dockerSocketPath,
      dockerSocketGid: config.dockerSocketGid,
    });
    new TerraformOutput(this, 'local_url', { value: this.gateway.localUrl, description: 'Gateway URL on the Docker host (127.0.0.1 only).' });
    // Literal URLs (no references), so `npm run client-config` can read them from cdk.tf.json without Terraform.
    const baseUrl = this.tunnel ? this.tunnel.publicUrl : `http://127.0.0.1:${config.gatewayPort}`;
    const emailLogin = Boolean(config.accessManagedOAuth && this.access?.allowPolicy);
    new TerraformOutput(this, 'mcp_url', { value: `${baseUrl}/mcp`, description: 'MCP endpoint (Streamable HTTP) clients connect to.' });
    new TerraformOutput(this, 'sse_url', { value: `${baseUrl}/sse`, description: 'Legacy SSE endpoint (MCP 2024-11-05 clients).' });
    const clientConfigs = buildClientConfigs({
      mcpUrl: `${baseUrl}/mcp`,
      mode: this.tunnel ? 'tunnel' : 'local',
      emailLogin,
      serviceTokenName: config.serviceTokens[0],
    });
    new TerraformOutput(this, 'client_configs', {
      value: escapeForTerraform(clientConfigs as unknown as Json),
      description: 'Ready-to-paste MCP client configurations (placeholders, never a secret); `npm run client-config -- <client>` prints them.',
    });
    if (emailLogin) {
      new TerraformOutput(this, 'oauth_redirect_uris', {
        value: oauthRedirectUris(config),
        description: 'Redirect URIs Access Managed OAuth admits besides localhost/127.0.0.1 callbacks.',
      });
    }

    if (this.tunnel && this.access) {
      this.ingress = new TunnelIngress(this, 'tunnel-ingress', { tunnel: this.tunnel, gateway: this.gateway, access: this.access });
      this.connector = new TunnelConnector(this, 'connector', {
        tunnel: this.tunnel,
        network: this.network,
        version: config.cloudflaredVersion,
      });
      new TerraformOutput(this, 'public_url', { value: this.tunnel.publicUrl, description: 'Gateway URL through the tunnel, behind Access.' });
      new TerraformOutput(this, 'tunnel_id', { value: this.tunnel.tunnelId });
      new TerraformOutput(this, 'access_aud', { value: this.access.aud, description: 'AUD tag of the Access application.' });
      new TerraformOutput(this, 'access_team_domain', { value: this.access.teamDomain });
      const clientIds: Record<string, string> = {};
      const clientSecrets: Record<string, string> = {};
      for (const t of this.access.serviceTokens) {
        clientIds[t.name] = t.token.clientId;
        clientSecrets[t.name] = t.token.clientSecret;
      }
      new TerraformOutput(this, 'service_token_client_ids', { value: clientIds, description: 'CF-Access-Client-Id per service token.' });
      new TerraformOutput(this, 'service_token_client_secrets', {
        value: clientSecrets,
        sensitive: true,
        description: 'CF-Access-Client-Secret per service token (read with `terraform output -json`).',
      });
    }
  }
}
