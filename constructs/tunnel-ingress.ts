import { ZeroTrustTunnelCloudflaredConfigA } from '@cdktf/provider-cloudflare/lib/zero-trust-tunnel-cloudflared-config';
import { Construct } from 'constructs';
import type { GatewayAccess } from './access';
import type { GatewayContainer } from './gateway-container';
import type { GatewayTunnel } from './tunnel';

/** The catch-all service that ends every ingress list: anything not matched gets a 404. */
export const CATCH_ALL_SERVICE = 'http_status:404';

/** Props of {@link TunnelIngress}. */
export interface TunnelIngressProps {
  /** The tunnel to configure. */
  readonly tunnel: GatewayTunnel;
  /** The origin: the gateway container (by name on the private network) or the gateway's Kubernetes Service. */
  readonly gateway: Pick<GatewayContainer, 'internalUrl'>;
  /** The Access application cloudflared requires a valid token for (team name + AUD). */
  readonly access: GatewayAccess;
}

/**
 * The tunnel's remotely managed ingress: `<hostname>` -> `http://<gateway container>:<port>`, with cloudflared
 * itself requiring a valid Access JWT for the application (defence in depth with the gateway's own check),
 * then the catch-all `http_status:404`. A separate construct because it needs the gateway and Access,
 * which both need the tunnel.
 */
export class TunnelIngress extends Construct {
  /** The tunnel configuration resource. */
  public readonly config: ZeroTrustTunnelCloudflaredConfigA;
  /** The origin service URL. */
  public readonly service: string;

  constructor(scope: Construct, id: string, props: TunnelIngressProps) {
    super(scope, id);
    this.service = props.gateway.internalUrl;
    this.config = new ZeroTrustTunnelCloudflaredConfigA(this, 'config', {
      accountId: props.tunnel.accountId,
      tunnelId: props.tunnel.tunnelId,
      config: {
        ingress: [
          {
            hostname: props.tunnel.hostname,
            service: this.service,
            originRequest: {
              access: { required: true, teamName: props.access.teamName, audTag: [props.access.aud] },
            },
          },
          { service: CATCH_ALL_SERVICE },
        ],
      },
    });
  }
}
