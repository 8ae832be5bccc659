/**
 * The CDKTF app: load and validate the configuration (terraform.tfvars, or the embedded local-only default),
 * build the stack, synthesize. Every configuration problem is printed at once and the process exits non-zero
 * without writing cdktf.out: the configuration is validated before `new App()` creates the output folder.
 *
 * `--check` validates only (no App, no output folder): `npm run synth`/`diff`/`deploy` run it before the cdktf CLI,
 * which would otherwise print every problem twice (once as it streams the app's stderr, once in its summary).
 *
 * Environment: MCP_STACK_TFVARS (tfvars path; cdktf.json context `tfvarsPath` otherwise), MCP_STACK_STATE_FILE
 * (local state file path). Secrets never come from here: CLOUDFLARE_API_TOKEN and TF_VAR_gateway_auth_tokens are
 * read by Terraform at plan time.
 */
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { App, CONTEXT_ENV } from 'cdktf';
import { loadStackConfig } from './constructs/config/load-config';
import { StackConfigError } from './constructs/errors';
import { GatewayStack } from './constructs/gateway-stack';
import { writeManifests } from './constructs/kubernetes/kubernetes-target';

/** Id of the one stack; also the folder under cdktf.out/stacks/ (part of the resource-address contract). */
export const STACK_ID = 'mcp-gateway';

function readContext(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const json = env[CONTEXT_ENV];
  if (!json) return {};
  try {
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const projectDir = __dirname;
  const checkOnly = argv.includes('--check');
  let outdir: string | undefined;
  let createdOutdir = false;
  try {
    const { config, source, notes } = await loadStackConfig({ env, context: readContext(env), cwd: process.cwd() });
    const from = source.path ?? 'the embedded default (local-only)';
    if (checkOnly) {
      for (const note of notes) console.log(`mcp-gateway: ${note}`);
      console.log(`mcp-gateway: configuration in ${from} is valid`);
      return 0;
    }
    outdir = path.resolve(env.CDKTF_OUTDIR ?? 'cdktf.out');
    createdOutdir = !existsSync(outdir);
    const app = new App();
    const stack = new GatewayStack(app, STACK_ID, { config, projectDir, outdir, stateFile: env.MCP_STACK_STATE_FILE || undefined });
    app.synth();
    // The Kubernetes target's plain manifests, beside cdk.tf.json, for kubectl and GitOps users.
    if (stack.kubernetes) writeManifests(stack.kubernetes, outdir);
    console.log(`mcp-gateway: synthesized from ${from}`);
    return 0;
  } catch (err) {
    // Guardrails fail during app.synth(), after new App() made the folder: do not leave it half written.
    if (outdir && createdOutdir) rmSync(outdir, { recursive: true, force: true });
    if (err instanceof StackConfigError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
