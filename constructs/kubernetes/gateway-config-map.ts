import type { IConfigMap } from 'kubernetes-models/v1';
import type { JsonValue } from '../config/stack-config';
import { appLabels, CONFIG_FILE_KEY, GATEWAY_NAME } from './defaults';

/**
 * The gateway's configuration file (gateway settings and `mcpServers`), mounted read-only at CONFIG_DIR and read
 * as `MCP_GATEWAY_CONFIG`. Non-secret by construction: the config validator refuses literal secrets in both maps.
 */
export function gatewayConfigMap(namespace: string, config: Readonly<Record<string, JsonValue>>): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: GATEWAY_NAME, namespace, labels: appLabels('gateway') },
    data: { [CONFIG_FILE_KEY]: `${JSON.stringify(config, null, 2)}\n` },
  };
}
