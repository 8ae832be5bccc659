import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from './helpers';

const run = promisify(execFile);
const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});
const makeTemp = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  created.push(dir);
  return dir;
};
const CDKTF = path.join(ROOT, 'node_modules', '.bin', 'cdktf');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `cdktf synth` (which runs cdktf.json's app command, i.e. main.ts) and never throws. */
async function cdktfSynth(cwd: string, outdir: string, env: Record<string, string> = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', CI: '1', ...env };
  delete childEnv.MCP_STACK_TFVARS;
  delete childEnv.CDKTF_CONTEXT_JSON;
  Object.assign(childEnv, env);
  try {
    const { stdout, stderr } = await run(CDKTF, ['synth', '--output', outdir], { cwd, env: childEnv, timeout: 100_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A project folder of its own (so no stray ./terraform.tfvars is picked up) running this repository's main.ts. */
function project(context?: Record<string, unknown>): string {
  const dir = makeTemp('mcp-stack-cli-');
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const cdktfJson = JSON.parse(readFileSync(path.join(ROOT, 'cdktf.json'), 'utf8')) as Record<string, unknown>;
  cdktfJson.app = String(cdktfJson.app).replace('main.ts', JSON.stringify(path.join(ROOT, 'main.ts')));
  if (context) cdktfJson.context = context;
  writeFileSync(path.join(dir, 'cdktf.json'), JSON.stringify(cdktfJson, null, 2));
  return dir;
}

function stackJson(outdir: string): { resource: Record<string, Record<string, any>>; provider: Record<string, unknown> } {
  return JSON.parse(readFileSync(path.join(outdir, 'stacks', 'mcp-gateway', 'cdk.tf.json'), 'utf8'));
}

const tempOut = () => path.join(makeTemp('mcp-stack-out-'), 'cdktf.out');

// Real processes on a shared machine: generous time limits (a synth takes ~4 s unloaded).
describe.concurrent('cdktf synth through the real CLI', { timeout: 120_000 }, () => {
  it('synthesizes the embedded default (no tfvars) as the local-only stack, no credentials needed', async () => {
    const cwd = project();
    const outdir = tempOut();
    const result = await cdktfSynth(cwd, outdir, { CLOUDFLARE_API_TOKEN: '' });
    expect(result.code, result.stderr).toBe(0);
    const json = stackJson(outdir);
    expect(Object.keys(json.provider)).toEqual(['docker']);
    expect(Object.keys(json.resource).sort()).toEqual(['docker_container', 'docker_image', 'docker_network', 'docker_volume']);
    // The build context is written relative to the folder Terraform runs in, wherever the output goes.
    const context: string = json.resource.docker_image['gateway-image_0FD5DE07'].build.context;
    expect(path.isAbsolute(context)).toBe(false);
    expect(path.resolve(outdir, 'stacks', 'mcp-gateway', context)).toBe(path.join(ROOT, 'gateway-image'));
  });

  it('synthesizes fixtures/full.tfvars named by MCP_STACK_TFVARS', async () => {
    const outdir = tempOut();
    const result = await cdktfSynth(ROOT, outdir, { MCP_STACK_TFVARS: path.join(FIXTURES, 'full.tfvars') });
    expect(result.code, result.stderr).toBe(0);
    const json = stackJson(outdir);
    expect(Object.keys(json.resource).sort()).toEqual([
      'cloudflare_dns_record',
      'cloudflare_zero_trust_access_application',
      'cloudflare_zero_trust_access_policy',
      'cloudflare_zero_trust_access_service_token',
      'cloudflare_zero_trust_tunnel_cloudflared',
      'cloudflare_zero_trust_tunnel_cloudflared_config',
      'docker_container',
      'docker_image',
      'docker_network',
      'docker_volume',
    ]);
    const text = readFileSync(path.join(outdir, 'stacks', 'mcp-gateway', 'cdk.tf.json'), 'utf8');
    expect(text).not.toMatch(/"api_token"/);
  });

  it('reads the tfvars path from cdktf.json context (tfvarsPath)', async () => {
    const cwd = project({ tfvarsPath: path.join(FIXTURES, 'full.tfvars') });
    const outdir = tempOut();
    const result = await cdktfSynth(cwd, outdir);
    expect(result.code, result.stderr).toBe(0);
    expect(stackJson(outdir).resource).toHaveProperty('cloudflare_zero_trust_tunnel_cloudflared');
  });

  it('prints every problem of a bad tfvars, exits non-zero and writes no cdktf.out', async () => {
    const outdir = tempOut();
    const result = await cdktfSynth(ROOT, outdir, { MCP_STACK_TFVARS: path.join(FIXTURES, 'invalid.tfvars') });
    expect(result.code).not.toBe(0);
    const output = result.stdout + result.stderr;
    for (const line of [
      'gatway_port: unknown key; did you mean "gateway_port"?',
      'gateway_port: is out of range: must be between 1 and 65535',
      'memory_limit: is below the minimum of 64 MiB',
      'cloudflare_account_id: must be 32 hexadecimal characters',
      'allowed_emails: contains a malformed email address',
      'domain_suffix: is required when enable_cloudflare_tunnel = true',
    ]) {
      expect(output).toContain(line);
    }
    // Zone id and team are looked up in the account when not given: not required.
    expect(output).not.toMatch(/cloudflare_zone_id|access_team_name/);
    expect(existsSync(outdir)).toBe(false);
  });

  it('`npm run synth` prints each problem once, a pasted secret without its value, and synthesizes nothing', async () => {
    const cwd = project();
    symlinkSync(path.join(ROOT, 'main.ts'), path.join(cwd, 'main.ts'));
    writeFileSync(path.join(cwd, 'package.json'), readFileSync(path.join(ROOT, 'package.json')));
    const secret = 'cfTokenValue0123456789abcdefABCDEF';
    writeFileSync(path.join(cwd, 'terraform.tfvars'), `cloudflare_api_token = "${secret}"\nlog_level = info\n`);
    const env: NodeJS.ProcessEnv = { ...process.env, CI: '1' };
    delete env.MCP_STACK_TFVARS;
    delete env.CDKTF_CONTEXT_JSON;
    const result = await run('npm', ['run', '--silent', 'synth'], { cwd, env, timeout: 100_000 }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
    );
    expect(result.code).not.toBe(0);
    const count = (text: string) => result.out.split(text).length - 1;
    expect(count('cloudflare_api_token: is a secret and must not be in a tfvars file')).toBe(1);
    expect(count('remove the line and export CLOUDFLARE_API_TOKEN=...')).toBe(1);
    expect(count('log_level: must be a quoted string; write log_level = "info" (in double quotes)')).toBe(1);
    expect(result.out).not.toContain(secret);
    expect(existsSync(path.join(cwd, 'cdktf.out'))).toBe(false);
  });
});
