import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { INamespace, IService } from 'kubernetes-models/v1';
import type { KubernetesConfig } from '../config/kubernetes-config';
import { NETWORK_POLICY_DISABLED_ANNOTATION } from '../rules/k8s-network-policy';
import { appLabels, podSecurityLabels, restrictedContainerSecurityContext, selectorLabels } from './defaults';

/** Name of the socket proxy's Deployment and Service. */
export const SOCKET_PROXY_NAME = 'docker-socket-proxy';
/** The proxy's non-root uid (nobody, as in socket-proxy/Dockerfile). */
export const SOCKET_PROXY_UID = 65534;

type DockerProxy = NonNullable<KubernetesConfig['dockerProxy']>;

/**
 * The proxy's own namespace, enforcing "privileged": mounting the node's Docker socket (hostPath) is refused by the
 * baseline and restricted profiles, so it cannot live in the gateway's restricted namespace. The annotation says why.
 */
export function socketProxyNamespace(proxy: DockerProxy, networkPolicy = true): INamespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: proxy.namespace,
      labels: { ...appLabels('socket-proxy'), ...podSecurityLabels('privileged') },
      annotations: {
        'mcp-gateway/why-privileged': 'the Docker socket proxy mounts the node\'s /var/run/docker.sock (hostPath); only this Deployment runs here',
        ...(networkPolicy ? {} : { [NETWORK_POLICY_DISABLED_ANNOTATION]: 'disabled' }),
      },
    },
  };
}

/**
 * The socket proxy (socket-proxy/, HAProxy) pinned to the node that runs Docker, the socket mounted read-only; apart
 * from the hostPath it meets the restricted profile (non-root with the socket's group, read-only root, no
 * capabilities, no escalation, seccomp RuntimeDefault). Recreate, not rolling: one proxy per node socket.
 */
export function socketProxyDeployment(proxy: DockerProxy): IDeployment {
  const labels = appLabels('socket-proxy');
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: SOCKET_PROXY_NAME, namespace: proxy.namespace, labels },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels('socket-proxy') },
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          nodeSelector: { 'kubernetes.io/hostname': proxy.node },
          securityContext: {
            runAsNonRoot: true,
            runAsUser: SOCKET_PROXY_UID,
            runAsGroup: SOCKET_PROXY_UID,
            supplementalGroups: [proxy.socketGid],
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'socket-proxy',
              image: proxy.image,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'docker', containerPort: 2375, protocol: 'TCP' }],
              ...(proxy.allowUpstreams ? { env: [{ name: 'ALLOW_UPSTREAMS', value: '1' }] } : {}),
              resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '20m', memory: '32Mi' } },
              securityContext: restrictedContainerSecurityContext(SOCKET_PROXY_UID),
              volumeMounts: [{ name: 'docker-socket', mountPath: '/var/run/docker.sock', readOnly: true }],
              livenessProbe: { httpGet: { path: '/_ping', port: 'docker' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
              readinessProbe: { httpGet: { path: '/_ping', port: 'docker' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
            },
          ],
          volumes: [{ name: 'docker-socket', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } }],
        },
      },
    },
  };
}

/** ClusterIP Service of the proxy (the gateway's `DOCKER_HOST`). */
export function socketProxyService(proxy: DockerProxy): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: SOCKET_PROXY_NAME, namespace: proxy.namespace, labels: appLabels('socket-proxy') },
    spec: { type: 'ClusterIP', selector: selectorLabels('socket-proxy'), ports: [{ name: 'docker', port: 2375, targetPort: 'docker', protocol: 'TCP' }] },
  };
}

/** Only the gateway's pods may reach the proxy; the proxy itself opens no connection (the socket is a file). */
export function socketProxyNetworkPolicy(proxy: DockerProxy, gatewayNamespace: string): INetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: SOCKET_PROXY_NAME, namespace: proxy.namespace, labels: appLabels('socket-proxy') },
    spec: {
      podSelector: { matchLabels: selectorLabels('socket-proxy') },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': gatewayNamespace } }, podSelector: { matchLabels: selectorLabels('gateway') } }],
          ports: [{ protocol: 'TCP', port: 'docker' }],
        },
      ],
      egress: [],
    },
  };
}
