import { asList, type Attributes, type SynthesizedStack } from './guardrail-rule';

/** The ingress rules of every tunnel configuration in the stack, with the configuration's address. */
export function tunnelIngresses(stack: SynthesizedStack): Array<{ address: string; config: Attributes; ingress: Attributes[] }> {
  return Object.entries(stack.resource?.cloudflare_zero_trust_tunnel_cloudflared_config ?? {}).map(([name, attrs]) => {
    const config = (asList(attrs.config)[0] ?? {}) as Attributes;
    return { address: `cloudflare_zero_trust_tunnel_cloudflared_config.${name}`, config, ingress: asList(config.ingress) };
  });
}
