import { DataCloudflareZeroTrustTunnelCloudflaredToken } from '@cdktf/provider-cloudflare/lib/data-cloudflare-zero-trust-tunnel-cloudflared-token';
import { ZeroTrustTunnelCloudflared } from '@cdktf/provider-cloudflare/lib/zero-trust-tunnel-cloudflared';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { ProblemCollector } from './errors';

/** Props of {@link GatewayTunnel}. */
export interface GatewayTunnelProps {
  /** Cloudflare account id (32 hex characters). */
  readonly accountId: string;
  /** The public hostname the tunnel serves, `<tunnel_hostname>.<domain_suffix>`. */
  readonly hostname: string;
  /**
   * Tunnel name shown in the Zero Trust dashboard.
   * @default - "mcp-gateway-" followed by the hostname with dots as dashes
   */
  readonly tunnelName?: string;
}

const FQDN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/**
 * A remotely managed Cloudflare Tunnel (`config_src = cloudflare`: the ingress lives in Cloudflare, see
 * {@link TunnelIngress}) and its connector token, read from the v5 token data source so no secret is
 * ever written into the configuration.
 */
export class GatewayTunnel extends Construct {
  /** The tunnel resource. */
  public readonly tunnel: ZeroTrustTunnelCloudflared;
  /** The account the tunnel belongs to. */
  public readonly accountId: string;
  /** The tunnel's id (a UUID, known after apply). */
  public readonly tunnelId: string;
  /** The CNAME target of the tunnel, `<tunnel id>.cfargotunnel.com`. */
  public readonly cname: string;
  /** The public hostname served through the tunnel. */
  public readonly hostname: string;
  /** `https://<hostname>`. */
  public readonly publicUrl: string;
  /** The connector token (sensitive): give it to cloudflared by environment only. */
  public readonly token: string;

  constructor(scope: Construct, id: string, props: GatewayTunnelProps) {
    super(scope, id);
    const problems = new ProblemCollector();
    if (!Token.isUnresolved(props.accountId) && !/^[0-9a-f]{32}$/i.test(props.accountId)) {
      problems.add('accountId', props.accountId, 'must be 32 hexadecimal characters');
    }
    if (!Token.isUnresolved(props.hostname) && !FQDN.test(props.hostname)) {
      problems.add('hostname', props.hostname, 'must be a fully qualified domain name such as "docker-mcp.example.com"');
    }
    problems.throwIfAny(`GatewayTunnel ${this.node.path}`);

    this.accountId = props.accountId;
    this.hostname = props.hostname;
    this.publicUrl = `https://${props.hostname}`;
    this.tunnel = new ZeroTrustTunnelCloudflared(this, 'tunnel', {
      accountId: props.accountId,
      name: props.tunnelName ?? `mcp-gateway-${props.hostname.replace(/\./g, '-')}`,
      configSrc: 'cloudflare',
    });
    this.tunnelId = this.tunnel.id;
    this.cname = `${this.tunnel.id}.cfargotunnel.com`;
    const token = new DataCloudflareZeroTrustTunnelCloudflaredToken(this, 'token', {
      accountId: props.accountId,
      tunnelId: this.tunnel.id,
    });
    this.token = token.token;
  }
}
