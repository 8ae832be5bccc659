import { asList, type GuardrailRule, resourcesOfType } from './guardrail-rule';

const LOOPBACK = new Set(['127.0.0.1', '::1']);

/** No container port is published on anything but the loopback interface. */
export const noPublicPort: GuardrailRule = {
  id: 'no-public-port',
  description: 'Every published container port is bound to 127.0.0.1 (remote access goes through the tunnel).',
  check(stack) {
    return resourcesOfType(stack, 'docker_container').flatMap(({ address, attrs }) => {
      const found = asList(attrs.ports)
        .filter((port) => !LOOPBACK.has(String(port.ip ?? '0.0.0.0')))
        .map((port) => ({
          ruleId: 'no-public-port',
          address,
          message: `publishes port ${String(port.internal)} on ${String(port.ip ?? '0.0.0.0 (all interfaces)')}; set ip = "127.0.0.1" and reach it remotely through the tunnel`,
        }));
      if (attrs.publish_all_ports === true) {
        found.push({ ruleId: 'no-public-port', address, message: 'sets publish_all_ports, which binds every exposed port on all interfaces; remove it' });
      }
      return found;
    });
  },
};
