/**
 * `npm run client-config -- [client] [--way email_login|service_token|bearer_token] [--json] [--out <cdktf.out>]`:
 * prints the `client_configs` output of the last synth, read from cdktf.out/stacks/mcp-gateway/cdk.tf.json, so
 * it works without Terraform, state or a Cloudflare account (local-only users included). Placeholders only.
 *
 * Environment: CDKTF_OUTDIR (the synth output folder, as for main.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CLIENT_NAMES, type AuthWay, type ClientConfig, type ClientConfigs, type Json, unescapeFromTerraform } from './constructs/client-configs';

const STACK_ID = 'mcp-gateway';
const WAYS: readonly AuthWay[] = ['email_login', 'service_token', 'bearer_token'];
const USAGE = `usage: npm run client-config -- [${CLIENT_NAMES.join('|')}] [--way ${WAYS.join('|')}] [--json] [--out <cdktf.out folder>]`;

/** A command-line mistake or a missing synth: printed as is, exit 1. */
class UsageError extends Error {}

/** The parsed command line. */
interface Args {
  readonly client?: string;
  readonly way?: string;
  readonly json: boolean;
  readonly out: string;
}

function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Args {
  let client: string | undefined;
  let way: string | undefined;
  let json = false;
  let out = env.CDKTF_OUTDIR || 'cdktf.out';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--way' || a === '--out') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value\n${USAGE}`);
      if (a === '--way') way = v;
      else out = v;
    } else if (a === '-h' || a === '--help') throw new UsageError(USAGE);
    else if (a.startsWith('-') || client !== undefined) throw new UsageError(`unexpected argument "${a}"\n${USAGE}`);
    else client = a;
  }
  return { client, way, json, out };
}

/** Reads `client_configs` from the synthesized stack, unescaping Terraform's `$${`. */
function readClientConfigs(outdir: string): { configs: ClientConfigs; mcpUrl: string; file: string } {
  const file = path.resolve(outdir, 'stacks', STACK_ID, 'cdk.tf.json');
  if (!existsSync(file)) throw new UsageError(`no synthesized stack at ${file}: run \`npm run synth\` first (or pass --out <cdktf.out folder>)`);
  const stack = JSON.parse(readFileSync(file, 'utf8')) as { output?: Record<string, { value?: Json }> };
  const value = stack.output?.client_configs?.value;
  if (value === undefined) {
    throw new UsageError(`${file} has no client_configs output: the gateway is disabled (enable_docker_mcp_gateway = false), target = "kubernetes" runs without the tunnel (clients use ingress_url with a bearer token), or the synth predates it; run \`npm run synth\``);
  }
  return { configs: unescapeFromTerraform(value) as unknown as ClientConfigs, mcpUrl: String(stack.output?.mcp_url?.value ?? ''), file };
}

function render(client: string, way: string, c: ClientConfig): string {
  const lines = [`== ${client} (${way.replace('_', ' ')}) ==`, c.how];
  if (c.unsupported) lines.push(`not available: ${c.unsupported}`);
  if (c.file) lines.push(`file: ${c.file}`);
  if (c.command) lines.push('', `  ${c.command}`);
  if (c.config !== undefined) lines.push('', JSON.stringify(c.config, null, 2));
  return `${lines.join('\n')}\n`;
}

function main(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  try {
    const args = parseArgs(argv, env);
    if (args.client !== undefined && !(CLIENT_NAMES as readonly string[]).includes(args.client)) {
      throw new UsageError(`unknown client "${args.client}"; choose one of ${CLIENT_NAMES.join(', ')}`);
    }
    if (args.way !== undefined && !(WAYS as readonly string[]).includes(args.way)) {
      throw new UsageError(`unknown --way "${args.way}"; choose one of ${WAYS.join(', ')}`);
    }
    const { configs, mcpUrl, file } = readClientConfigs(args.out);
    const clients = args.client ? [args.client as keyof ClientConfigs] : [...CLIENT_NAMES];
    const selected: Record<string, Record<string, ClientConfig>> = {};
    for (const client of clients) {
      for (const [way, c] of Object.entries(configs[client] ?? {})) {
        if (args.way === undefined || args.way === way) (selected[client] ??= {})[way] = c;
      }
    }
    if (Object.keys(selected).length === 0) {
      throw new UsageError(`this stack has no ${args.way} configuration${args.client ? ` for ${args.client}` : ''}; the ways it has: ${[...new Set(Object.values(configs).flatMap((c) => Object.keys(c)))].join(', ')}`);
    }
    if (args.json) {
      process.stdout.write(`${JSON.stringify(args.client ? selected[args.client] : selected, null, 2)}\n`);
    } else {
      process.stdout.write(`MCP endpoint: ${mcpUrl} (from ${path.relative(process.cwd(), file) || file})\n\n`);
      for (const [client, ways] of Object.entries(selected)) for (const [way, c] of Object.entries(ways)) process.stdout.write(`${render(client, way, c)}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`client-config: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = main(process.argv.slice(2), process.env);
