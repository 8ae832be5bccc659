import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IEnvVar, ITopologySpreadConstraint, IVolume, IVolumeMount } from 'kubernetes-models/v1';
import type { ResourceQuantities } from '../config/kubernetes-config';
import { SECRET_ENV_PREFIX } from '../config/secret-references';
import type { LogLevel } from '../config/stack-config';
import {
  ACCESS_CONFIG_NAME,
  appLabels,
  AUDIT_FILE,
  AUTH_SECRET_KEY,
  AUTH_SECRET_NAME,
  CONFIG_DIR,
  CONFIG_FILE_KEY,
  DOCKER_CERT_DIR,
  GATEWAY_NAME,
  GATEWAY_UID,
  HOME_DIR,
  UPSTREAM_SECRETS_NAME,
  HTTP_PORT_NAME,
  OPS_PORT,
  OPS_PORT_NAME,
  OPS_ROUTES,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  selectorLabels,
  STATE_DIR,
} from './defaults';

/** What the gateway Deployment is built from (the validated config, flattened). */
export interface GatewayDeploymentProps {
  readonly namespace: string;
  /** Image reference with its pinned tag. */
  readonly image: string;
  /** The MCP port. */
  readonly port: number;
  readonly replicas: number;
  readonly logLevel: LogLevel;
  readonly limits: ResourceQuantities;
  readonly requests: ResourceQuantities;
  /** `DOCKER_HOST`: the engine the gateway drives (`tcp://` or `ssh://`). */
  readonly dockerHost: string;
  /**
   * Secret with ca.pem, cert.pem and key.pem, mounted at DOCKER_CERT_DIR.
   * @default - no TLS material (plain tcp:// to a socket proxy on a private network, or ssh://)
   */
  readonly dockerTlsSecret?: string;
  /**
   * Cloudflare Access is in front: the Access ConfigMap (team domain, AUD, hostname) is loaded with envFrom, and
   * the bearer-token Secret becomes optional (Access JWTs authenticate).
   * @default false
   */
  readonly access?: boolean;
  /**
   * Hash of the ConfigMap's content, put on the pod template so a config change rolls the pods.
   * @default - no annotation
   */
  readonly configHash?: string;
  /**
   * Size limit of the /tmp emptyDir.
   * @default "64Mi"
   */
  readonly scratchSize?: string;
  /**
   * Size limit of the HOME emptyDir, where command servers' npx/uvx caches land.
   * @default "512Mi"
   */
  readonly homeSize?: string;
  /**
   * Names mcp_servers references as `{{secret:NAME}}`: each is `MCP_GATEWAY_SECRET_<NAME>`, read from key NAME of the
   * {@link UPSTREAM_SECRETS_NAME} Secret (the value reaches the process environment only).
   * @default - none
   */
  readonly upstreamSecretNames?: readonly string[];
}

/**
 * The gateway Deployment, restricted by construction: numeric non-root uid, no privilege escalation, all
 * capabilities dropped, seccomp RuntimeDefault, read-only root filesystem with emptyDirs only where it writes
 * (/tmp, HOME for command servers' npm/uv caches, the audit directory), no service-account token, requests and
 * limits, startup/liveness/readiness probes on the unauthenticated ops port, a rolling update that starts the new
 * pod before stopping the old one, and spread over nodes and zones when there is more than one replica.
 */
export function gatewayDeployment(props: GatewayDeploymentProps): IDeployment {
  const scratch = props.scratchSize ?? '64Mi';
  const env: IEnvVar[] = [
    { name: 'MCP_GATEWAY_HOST', value: '0.0.0.0' },
    { name: 'MCP_GATEWAY_PORT', value: String(props.port) },
    { name: 'MCP_GATEWAY_OPS_PORT', value: String(OPS_PORT) },
    { name: 'MCP_GATEWAY_CONFIG', value: `${CONFIG_DIR}/${CONFIG_FILE_KEY}` },
    { name: 'MCP_DOCKER_LOG_LEVEL', value: props.logLevel },
    { name: 'MCP_DOCKER_STRUCTURED_LOGS', value: 'true' },
    { name: 'MCP_DOCKER_AUDIT_FILE', value: AUDIT_FILE },
    { name: 'HOME', value: HOME_DIR },
    { name: 'DOCKER_HOST', value: props.dockerHost },
    // The Secret's value reaches the process environment only: never the manifest, never argv.
    { name: AUTH_SECRET_KEY, valueFrom: { secretKeyRef: { name: AUTH_SECRET_NAME, key: AUTH_SECRET_KEY, optional: props.access === true } } },
    ...(props.upstreamSecretNames ?? []).map((name) => ({
      name: `${SECRET_ENV_PREFIX}${name}`,
      valueFrom: { secretKeyRef: { name: UPSTREAM_SECRETS_NAME, key: name } },
    })),
  ];
  const volumes: IVolume[] = [
    { name: 'config', configMap: { name: GATEWAY_NAME, items: [{ key: CONFIG_FILE_KEY, path: CONFIG_FILE_KEY }] } },
    { name: 'tmp', emptyDir: { sizeLimit: scratch } },
    { name: 'home', emptyDir: { sizeLimit: props.homeSize ?? '512Mi' } },
    { name: 'audit', emptyDir: { sizeLimit: '256Mi' } },
  ];
  const mounts: IVolumeMount[] = [
    { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'home', mountPath: HOME_DIR },
    { name: 'audit', mountPath: STATE_DIR },
  ];
  if (props.dockerTlsSecret) {
    env.push({ name: 'DOCKER_CERT_PATH', value: DOCKER_CERT_DIR }, { name: 'DOCKER_TLS_VERIFY', value: '1' });
    volumes.push({ name: 'docker-tls', secret: { secretName: props.dockerTlsSecret, defaultMode: 0o440 } });
    mounts.push({ name: 'docker-tls', mountPath: DOCKER_CERT_DIR, readOnly: true });
  }
  const labels = appLabels('gateway');
  const spread: { topologySpreadConstraints?: ITopologySpreadConstraint[] } = props.replicas > 1
    ? {
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: selectorLabels('gateway') } },
          { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels('gateway') } },
        ],
      }
    : {};
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: GATEWAY_NAME, namespace: props.namespace, labels },
    spec: {
      replicas: props.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels('gateway') },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels, ...(props.configHash ? { annotations: { 'mcp-gateway/config-hash': props.configHash } } : {}) },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: restrictedPodSecurityContext(GATEWAY_UID),
          // Time for the gateway's shutdown drain (10 s), its audit flush and the removal of upstream containers.
          terminationGracePeriodSeconds: 30,
          ...spread,
          containers: [
            {
              name: 'gateway',
              image: props.image,
              imagePullPolicy: 'IfNotPresent',
              ports: [
                { name: HTTP_PORT_NAME, containerPort: props.port, protocol: 'TCP' },
                { name: OPS_PORT_NAME, containerPort: OPS_PORT, protocol: 'TCP' },
              ],
              env,
              ...(props.access ? { envFrom: [{ configMapRef: { name: ACCESS_CONFIG_NAME } }] } : {}),
              resources: { limits: { ...props.limits }, requests: { ...props.requests } },
              securityContext: restrictedContainerSecurityContext(GATEWAY_UID),
              volumeMounts: mounts,
              startupProbe: { httpGet: { path: OPS_ROUTES.liveness, port: OPS_PORT_NAME }, periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 2 },
              livenessProbe: { httpGet: { path: OPS_ROUTES.liveness, port: OPS_PORT_NAME }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
              readinessProbe: { httpGet: { path: OPS_ROUTES.readiness, port: OPS_PORT_NAME }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
            },
          ],
          volumes,
        },
      },
    },
  };
}
