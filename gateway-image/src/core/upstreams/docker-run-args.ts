/**
 * Upstream entries written the way Claude Desktop and MetaMCP configs declare Docker servers,
 * `{"command": "docker", "args": ["run", "-i", "--rm", "-e", "TOKEN", "<image>", ...], "env": {"TOKEN": "..."}}`,
 * translated into an image server entry, so a pasted `mcpServers` block runs without rewriting and without a docker
 * CLI in the gateway image.
 *
 * Flags the image server has a setting for are mapped onto it; flags it implies (`-i`, `--rm`, `--init`,
 * `--cap-drop`, `--security-opt no-new-privileges`) are accepted; flags that would hand the container the host are
 * refused with the flag named (the container policy never allows them, so failing at config time says so sooner);
 * any other flag is refused as unsupported, naming it, rather than silently dropped.
 */
import type { UpstreamConfigProblem } from './upstreams-config.js';

/** Entry keys a docker-run entry may carry besides `command` and `args` (the rest of an image server's common fields). */
const PASSTHROUGH_KEYS = ['description', 'enabled_tools', 'block_secrets', 'lifecycle', 'eager'] as const;

/** Flags the translation understands, with what they become. */
const IMPLIED = new Set(['-i', '--interactive', '--rm', '--init']);
/** Value flags mapped onto image server settings. */
const MAPPED = new Set(['-e', '--env', '-v', '--volume', '--network', '--net', '-m', '--memory', '--cpus', '--pids-limit', '--add-host', '--name', '--cap-drop', '--security-opt', '-l', '--label']);
/** Flags that would hand the container the host: never allowed by the container policy. */
const DANGEROUS: Readonly<Record<string, string>> = {
  '--privileged': 'gives the container every capability and all host devices',
  '--cap-add': 'adds Linux capabilities; upstream containers run with all capabilities dropped',
  '--device': 'hands a host device to the container',
  '--volumes-from': 'mounts another container\'s volumes',
};
/** Namespace flags whose `host` value joins the host's namespace. */
const HOST_NAMESPACES = new Set(['--pid', '--ipc', '--uts', '--userns', '--cgroupns']);
/** Boolean flags refused with a reason (they would break the stdio protocol or are not supported). */
const REFUSED_BOOLEANS: Readonly<Record<string, string>> = {
  '-t': 'a TTY mangles the JSON-RPC stream on stdout; MCP over stdio needs -i only',
  '--tty': 'a TTY mangles the JSON-RPC stream on stdout; MCP over stdio needs -i only',
  '-d': 'a detached container has no stdin/stdout for the gateway to speak MCP over',
  '--detach': 'a detached container has no stdin/stdout for the gateway to speak MCP over',
  '-P': 'publishing ports is not supported for upstream containers (they speak MCP over stdio)',
  '--publish-all': 'publishing ports is not supported for upstream containers (they speak MCP over stdio)',
  '--read-only': 'not supported for upstream containers yet; remove it',
};
/** Value flags known to docker run that an image server has no setting for (refused as unsupported, value skipped). */
const UNSUPPORTED_VALUE_FLAGS = new Set([
  '--env-file', '--mount', '-p', '--publish', '-u', '--user', '-w', '--workdir', '--entrypoint', '--pull', '--platform',
  '--restart', '-h', '--hostname', '--dns', '--tmpfs', '--shm-size', '--group-add', '--ulimit', '--runtime', '--gpus',
  '--memory-swap', '--log-driver', '--log-opt', '--cpu-shares', '--cpuset-cpus', '--stop-signal', '--stop-timeout',
]);
const SUPPORTED = '-i, --rm, --init, -e/--env, -v/--volume, --network none|bridge, -m/--memory, --cpus, --pids-limit, ' +
  '--add-host host.docker.internal:host-gateway, --name, --label, --cap-drop, --security-opt no-new-privileges';
/** Socket paths a bind may never reach (the container policy's defaults); a bind of one hands out the engine. */
const SOCKETS = ['/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock', '/var/run/containerd/containerd.sock'];

/** Whether an entry is written as `docker run ...` (command `docker` or a path ending in `/docker`). */
export function isDockerRunEntry(entry: Record<string, unknown>): boolean {
  return entry.image === undefined && typeof entry.command === 'string' && /(^|\/)docker$/.test(entry.command);
}

/**
 * Translates a `docker run` entry into a raw image server entry (parsed afterwards by the image schema), or returns
 * every problem found, each naming the flag.
 */
export function translateDockerRun(server: string, entry: Record<string, unknown>): { entry?: Record<string, unknown>; problems: UpstreamConfigProblem[] } {
  const problems: UpstreamConfigProblem[] = [];
  const problem = (field: string, value: unknown, message: string, fix: string) => problems.push({ server, field, value, message, fix });
  const allowed = new Set(['command', 'args', 'env', 'environment', 'type', ...PASSTHROUGH_KEYS]);
  for (const key of Object.keys(entry)) {
    if (!allowed.has(key)) problem(key, undefined, 'unknown field in a `docker run` entry', `remove it; a docker run entry takes command, args, env and ${PASSTHROUGH_KEYS.join(', ')}`);
  }
  if (entry.type !== undefined && !(typeof entry.type === 'string' && entry.type.toLowerCase() === 'stdio')) {
    problem('type', entry.type, 'a `docker run` entry is a stdio server', 'remove `type` or write "stdio"');
  }
  const processEnv = stringRecord(entry.env ?? entry.environment);
  if (processEnv === undefined) problem(entry.env !== undefined ? 'env' : 'environment', undefined, 'must be an object of names to string values', 'e.g. "env": {"GITHUB_TOKEN": "..."}');
  const args = entry.args;
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) {
    problem('args', args, 'a `docker run` entry needs args as an array of strings', 'e.g. ["run", "-i", "--rm", "mcp/fetch"]');
    return { problems };
  }
  const argv = args as string[];
  let i = 0;
  if (argv[0] === 'container' && argv[1] === 'run') i = 2;
  else if (argv[0] === 'run') i = 1;
  else {
    problem('args[0]', argv[0], 'only `docker run` entries can be translated into an image server', 'start args with "run", e.g. ["run", "-i", "--rm", "<image>"]');
    return { problems };
  }

  const environment: Record<string, string> = {};
  const volumes: string[] = [];
  let network: 'none' | 'bridge' | undefined;
  let hostGateway = false;
  const out: Record<string, unknown> = {};
  let image: string | undefined;

  for (; i < argv.length; i += 1) {
    const token = argv[i];
    const field = `args[${i}]`;
    if (!token.startsWith('-') || token === '-') {
      image = token;
      break;
    }
    if (token === '--') {
      image = argv[i + 1];
      i += 1;
      break;
    }
    // Combined short booleans (-it, -id): each letter on its own.
    if (/^-[a-zA-Z]{2,}$/.test(token) && [...token.slice(1)].every((c) => IMPLIED.has(`-${c}`) || REFUSED_BOOLEANS[`-${c}`] !== undefined || c === 'P')) {
      for (const c of token.slice(1)) {
        const reason = REFUSED_BOOLEANS[`-${c}`];
        if (reason) problem(field, token, `-${c} is not allowed: ${reason}`, `remove -${c} from "${token}"`);
      }
      continue;
    }
    const eq = token.indexOf('=');
    const flag = token.startsWith('--') && eq > 0 ? token.slice(0, eq) : token;
    if (IMPLIED.has(flag)) continue;
    if (REFUSED_BOOLEANS[flag] !== undefined) {
      problem(field, token, `${flag} is not allowed: ${REFUSED_BOOLEANS[flag]}`, `remove ${flag}`);
      continue;
    }
    if (DANGEROUS[flag] !== undefined && flag === '--privileged') {
      problem(field, token, `${flag} is refused by the container policy: it ${DANGEROUS[flag]}`, `remove ${flag}`);
      continue;
    }
    const takesValue = MAPPED.has(flag) || UNSUPPORTED_VALUE_FLAGS.has(flag) || DANGEROUS[flag] !== undefined || HOST_NAMESPACES.has(flag);
    if (!takesValue) {
      problem(field, token, `${flag} is not supported for an upstream image server (supported: ${SUPPORTED})`, `remove ${flag}, or declare the server with "image" and its settings (README, Upstream MCP servers)`);
      // Without knowing whether it takes a value, the image cannot be found reliably: stop here.
      return { problems };
    }
    let value: string | undefined;
    if (token.startsWith('--') && eq > 0) value = token.slice(eq + 1);
    else {
      value = argv[i + 1];
      i += 1;
    }
    if (value === undefined) {
      problem(field, token, `${flag} needs a value`, `give it one, e.g. ${flag} <value>`);
      return { problems };
    }
    const shown = `${flag} ${value}`;
    if (DANGEROUS[flag] !== undefined) {
      problem(field, shown, `${flag} is refused by the container policy: it ${DANGEROUS[flag]}`, `remove ${flag}`);
      continue;
    }
    if (HOST_NAMESPACES.has(flag)) {
      if (value === 'host') problem(field, shown, `${flag} host is refused by the container policy: it joins the host's ${flag.slice(2)} namespace`, `remove ${flag}`);
      else problem(field, shown, `${flag} is not supported for an upstream image server`, `remove ${flag}`);
      continue;
    }
    if (UNSUPPORTED_VALUE_FLAGS.has(flag)) {
      problem(field, shown, `${flag} is not supported for an upstream image server (supported: ${SUPPORTED})`, `remove ${flag}, or declare the server with "image" and its settings (README, Upstream MCP servers)`);
      continue;
    }
    switch (flag) {
      case '-e':
      case '--env': {
        const at = value.indexOf('=');
        if (at > 0) environment[value.slice(0, at)] = value.slice(at + 1);
        else if (processEnv?.[value] !== undefined) environment[value] = processEnv[value];
        // Never show a value here: an -e without one names a variable that usually holds a credential.
        else problem(field, shown, `-e ${value} takes its value from the entry's env, which does not set ${value}`, `add "env": {"${value}": "..."} to the entry, or write -e ${value}=<value>`);
        break;
      }
      case '-v':
      case '--volume': {
        const host = value.split(':')[0];
        if (SOCKETS.some((s) => host === s || s.startsWith(`${host.replace(/\/+$/, '')}/`))) {
          problem(field, shown, `-v ${host}:... is refused by the container policy: it hands the container the Docker (or containerd) engine, i.e. the host`, 'remove the socket bind; the gateway itself is the way to the engine');
        } else volumes.push(value);
        break;
      }
      case '--network':
      case '--net':
        if (value === 'none') network = 'none';
        else if (value === 'bridge' || value === 'default') network = 'bridge';
        else if (value === 'host') problem(field, shown, `${flag} host is refused by the container policy: it puts the container on the host's network stack (its loopback services included)`, `use --network none, or leave it out for the bridge network with host.docker.internal`);
        else problem(field, shown, `${flag} ${value} is not supported: upstream containers run on the bridge network or none`, 'use --network none or --network bridge');
        break;
      case '-m':
      case '--memory':
        out.memory = value;
        break;
      case '--cpus': {
        const n = Number(value);
        if (!Number.isFinite(n) || n <= 0) problem(field, shown, '--cpus must be a positive number of cores', 'e.g. --cpus 0.5');
        else out.cpus = n;
        break;
      }
      case '--pids-limit': {
        const n = Number(value);
        if (!Number.isInteger(n)) problem(field, shown, '--pids-limit must be a whole number', 'e.g. --pids-limit 256');
        else out.pids_limit = n;
        break;
      }
      case '--add-host':
        if (value === 'host.docker.internal:host-gateway') hostGateway = true;
        else problem(field, shown, `--add-host ${value} is not supported: only host.docker.internal:host-gateway (which the gateway adds on the bridge network) is`, 'remove it');
        break;
      case '--cap-drop':
        // Every capability is dropped already; dropping some is a subset of that.
        break;
      case '--security-opt':
        if (!/^no-new-privileges(:true|=true)?$/.test(value)) {
          problem(field, shown, `--security-opt ${value} is refused by the container policy: upstream containers run with no-new-privileges and the default seccomp/AppArmor profiles only`, 'remove it');
        }
        break;
      default:
        // --name, --label: the gateway names and labels each instance itself.
        break;
    }
  }
  if (image === undefined || image === '') {
    problem('args', undefined, 'no image found after the docker run flags', 'end the flags with the image, e.g. ["run", "-i", "--rm", "mcp/fetch"]');
    return { problems };
  }
  if (network === 'none' && hostGateway) {
    problem('args', undefined, '--network none and --add-host host.docker.internal:host-gateway contradict each other', 'keep one of them');
  }
  if (problems.length > 0) return { problems };
  for (const key of PASSTHROUGH_KEYS) if (entry[key] !== undefined) out[key] = entry[key];
  return {
    entry: {
      image,
      args: argv.slice(i + 1),
      environment,
      block_network: network === 'none',
      volumes,
      ...out,
    },
    problems,
  };
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.values(value).every((v) => typeof v === 'string') ? (value as Record<string, string>) : undefined;
}
