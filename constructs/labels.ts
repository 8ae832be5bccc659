/** Value of the `project` label on everything this stack creates. */
export const PROJECT_LABEL = 'docker-mcp-gateway';

/** The label the gateway reads to protect its own containers from exec/stop. */
export const ROLE_LABEL = 'mcp.gateway.role';

/** The role of a container managed by this stack, as seen by the gateway's container policy. */
export type ContainerRole = 'gateway' | 'connector';

/** The labels every container and network of the stack carries. */
export function standardLabels(component: string, role?: ContainerRole): Array<{ label: string; value: string }> {
  const labels = [
    { label: 'project', value: PROJECT_LABEL },
    { label: 'component', value: component },
    { label: 'managed-by', value: 'cdktf' },
  ];
  if (role) labels.push({ label: ROLE_LABEL, value: role });
  return labels;
}
