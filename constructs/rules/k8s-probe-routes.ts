import type { GuardrailRule, Violation } from './guardrail-rule';
import { containersOf, manifestObjects, podSpecs } from './kubernetes-objects';

/** The unauthenticated routes the gateway serves on its ops port (gateway-image/src/transports/ops-app.ts). */
export const GATEWAY_OPS_ROUTES = { health: '/health', ready: '/ready', metrics: '/metrics' } as const;
/** Name of the gateway's container and of its ops port in the pod spec. */
const GATEWAY_CONTAINER = 'gateway';
const OPS_PORT_NAME = 'ops';

/**
 * Probes point at routes the gateway really serves, on a port the container declares: the gateway's liveness and
 * startup probes on /health and readiness on /ready of the ops port (no token, any Host: what a kubelet sends);
 * every httpGet probe names a declared port; the ServiceMonitor scrapes /metrics on the Service's ops port.
 */
export const k8sProbeRoutes: GuardrailRule = {
  id: 'k8s-probe-routes',
  description: 'Gateway probes hit /health and /ready on the ops port, every probe port is declared, the ServiceMonitor scrapes /metrics on ops.',
  check(stack) {
    const found: Violation[] = [];
    for (const { address, what, spec } of podSpecs(stack)) {
      for (const c of containersOf(spec)) {
        const ports = new Set(((c.ports ?? []) as Array<Record<string, any>>).flatMap((p) => [p.name, p.containerPort]));
        const expected: Record<string, string> = { livenessProbe: GATEWAY_OPS_ROUTES.health, startupProbe: GATEWAY_OPS_ROUTES.health, readinessProbe: GATEWAY_OPS_ROUTES.ready };
        for (const [kind, route] of Object.entries(expected)) {
          const probe = c[kind] as Record<string, any> | undefined;
          const add = (message: string) => found.push({ ruleId: 'k8s-probe-routes', address, message: `${what} container ${String(c.name)} ${message}` });
          if (!probe) {
            if (c.name === GATEWAY_CONTAINER) add(`has no ${kind}; add httpGet ${route} on port "${OPS_PORT_NAME}"`);
            continue;
          }
          const get = probe.httpGet as Record<string, any> | undefined;
          if (get && !ports.has(get.port)) add(`${kind} targets port ${String(get.port)}, which the container does not declare`);
          if (c.name === GATEWAY_CONTAINER && (get?.path !== route || get?.port !== OPS_PORT_NAME)) {
            add(`${kind} must be httpGet ${route} on port "${OPS_PORT_NAME}" (the gateway's unauthenticated ops route); got ${JSON.stringify(get ?? probe)}`);
          }
        }
      }
    }
    for (const { address, object } of manifestObjects(stack)) {
      if (object.kind !== 'ServiceMonitor') continue;
      for (const e of ((object.spec as Record<string, any> | undefined)?.endpoints ?? []) as Array<Record<string, any>>) {
        if (e.path !== GATEWAY_OPS_ROUTES.metrics || e.port !== OPS_PORT_NAME) {
          found.push({ ruleId: 'k8s-probe-routes', address, message: `ServiceMonitor endpoint must scrape ${GATEWAY_OPS_ROUTES.metrics} on port "${OPS_PORT_NAME}"; got ${JSON.stringify({ path: e.path, port: e.port })}` });
        }
      }
    }
    return found;
  },
};
