/** What command servers inherit from the gateway's environment; its own file so main.ts can use it without loading the upstreams module. */

/**
 * Variables a command server inherits from the gateway: where programs and its home are, and how the machine reaches
 * the network (the CA bundle and proxies): without them `npx -y` cannot reach the registry and retries silently until
 * the init timeout. Nothing else: no token or config of the gateway leaks into children.
 */
export const INHERITED_ENV = ['PATH', 'HOME', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'] as const;

/** Picks {@link INHERITED_ENV} from an environment. */
export function inheritedEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(INHERITED_ENV.flatMap((k) => (env[k] !== undefined ? [[k, env[k] as string]] : [])));
}
