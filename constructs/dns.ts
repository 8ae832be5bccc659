import { DnsRecord } from '@cdktf/provider-cloudflare/lib/dns-record';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { ProblemCollector } from './errors';
import type { GatewayTunnel } from './tunnel';

/** Props of {@link GatewayDns}. */
export interface GatewayDnsProps {
  /** The tunnel the hostname points at. */
  readonly tunnel: GatewayTunnel;
  /** Zone id of the domain the hostname is in (32 hex characters). */
  readonly zoneId: string;
}

/** The proxied CNAME `<hostname>` -> `<tunnel id>.cfargotunnel.com` (proxied: the origin is never exposed). */
export class GatewayDns extends Construct {
  /** The DNS record. */
  public readonly record: DnsRecord;
  /** The record's name (the public hostname). */
  public readonly hostname: string;

  constructor(scope: Construct, id: string, props: GatewayDnsProps) {
    super(scope, id);
    const problems = new ProblemCollector();
    if (!Token.isUnresolved(props.zoneId) && !/^[0-9a-f]{32}$/i.test(props.zoneId)) {
      problems.add('zoneId', props.zoneId, 'must be 32 hexadecimal characters');
    }
    problems.throwIfAny(`GatewayDns ${this.node.path}`);
    this.hostname = props.tunnel.hostname;
    this.record = new DnsRecord(this, 'record', {
      zoneId: props.zoneId,
      name: props.tunnel.hostname,
      type: 'CNAME',
      content: props.tunnel.cname,
      proxied: true,
      ttl: 1, // 1 = automatic, required for proxied records
      comment: 'MCP gateway tunnel (managed by cdktf)',
    });
  }
}
