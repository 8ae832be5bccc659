/**
 * Global setup of the gateway-e2e project: the real Docker engine must answer and the local base image
 * must exist (scripts/test.sh provides both); then the gateway image is built from gateway-image/ with
 * the Dockerfile, exactly as users build it, with BASE_IMAGE pointing at the local base.
 * Nothing is skipped: a missing prerequisite fails the run with what to do.
 */
import { execFileSync } from 'node:child_process';
import { BASE_IMAGE, GATEWAY_IMAGE, RUN_LABEL, TEST_LABEL, gatewayContext } from './helpers/images.js';

function docker(args: string[], opts: { timeoutMs?: number } = {}): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 60_000 });
}

/**
 * Removes containers our tests labelled: this run's (teardown: a safety net, each test removes its own) or,
 * at setup, leftovers of runs that died more than 30 minutes ago. Never another live run's containers.
 */
function removeTestContainers(filter: string, olderThanMs = 0): void {
  const ids = docker(['ps', '-aq', '--filter', `label=${TEST_LABEL}`, '--filter', `label=${filter}`]).split('\n').filter(Boolean);
  const stale = olderThanMs === 0 ? ids : ids.filter((id) => Date.now() - Date.parse(docker(['inspect', '-f', '{{.Created}}', id]).trim()) > olderThanMs);
  if (stale.length) docker(['rm', '-f', '-v', ...stale]);
}

export function setup(): void {
  try {
    docker(['version', '--format', '{{.Server.APIVersion}}'], { timeoutMs: 15_000 });
  } catch (err) {
    throw new Error(`gateway-e2e needs a running Docker engine and none answered (${(err as Error).message.split('\n')[0]}). ` +
      'Run the suite with `npm test` (it starts dockerd), or start dockerd yourself.');
  }
  try {
    docker(['image', 'inspect', BASE_IMAGE]);
  } catch {
    throw new Error(`gateway-e2e needs the local base image ${BASE_IMAGE}; build it with scripts/build-base-image.sh (npm test does).`);
  }
  // Workers inherit this: every container the helpers start carries the run's label.
  process.env.MCP_TEST_RUN = `${process.pid}-${Date.now()}`;
  removeTestContainers(RUN_LABEL, 30 * 60_000);
  try {
    docker(['build', '-q', '--force-rm', '--network', 'host', '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`,
      '--build-arg', 'npm_config_cafile=/etc/ssl/certs/ca-certificates.crt', '--label', TEST_LABEL,
      '-t', GATEWAY_IMAGE, gatewayContext], { timeoutMs: 600_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`building ${GATEWAY_IMAGE} from ${gatewayContext} failed:\n${e.stderr ?? e.message}`);
  }
}

export function teardown(): void {
  removeTestContainers(`${RUN_LABEL}=${process.env.MCP_TEST_RUN}`);
}
