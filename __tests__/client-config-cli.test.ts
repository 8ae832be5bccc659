import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

const run = promisify(execFile);

/** Runs a command in the repository and never throws: exit code and both streams. */
async function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.CDKTF_CONTEXT_JSON;
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd: ROOT, env: childEnv, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The design's terraform.tfvars as README shows it. */
function designTfvars(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return /The smallest file for a published gateway is the design's own:\n\n<!-- snippet: tfvars -->\n```hcl\n([\s\S]*?)```/.exec(readme)![1];
}

// Real processes (node, npm) on a shared machine: generous limits.
describe('npm run client-config (reads the last synth, no Terraform)', { timeout: 120_000 }, () => {
  let dir: string;
  const out = (name: string) => path.join(dir, `${name}-cdktf.out`);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'client-config-cli-'));
    writeFileSync(path.join(dir, 'design.tfvars'), designTfvars());
    writeFileSync(path.join(dir, 'local.tfvars'), 'gateway_port = 3456\n');
    for (const name of ['design', 'local']) {
      const r = await sh(process.execPath, ['--import', 'tsx', 'main.ts'], { MCP_STACK_TFVARS: path.join(dir, `${name}.tfvars`), CDKTF_OUTDIR: out(name) });
      expect(r.code, r.stderr).toBe(0);
    }
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints a client's configurations for the design's stack: email login and service token, the public URL", async () => {
    const r = await sh('npm', ['run', '-s', 'client-config', '--', 'claude-code', '--out', out('design')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('MCP endpoint: https://docker-mcp.example.com/mcp');
    expect(r.stdout).toContain('== claude-code (email login) ==');
    expect(r.stdout).toContain('  claude mcp add --transport http docker-gateway https://docker-mcp.example.com/mcp\n');
    expect(r.stdout).toContain('== claude-code (service token) ==');
    expect(r.stdout).toContain('--header "CF-Access-Client-Secret: $CF_ACCESS_CLIENT_SECRET"');
  });

  it('--json gives every client, with the clients\' own ${...} unescaped (Terraform needs $${ in cdk.tf.json)', async () => {
    const r = await sh('npm', ['run', '-s', 'client-config', '--', '--json', '--out', out('design')]);
    expect(r.code, r.stderr).toBe(0);
    const all = JSON.parse(r.stdout);
    expect(Object.keys(all)).toEqual(['claude', 'claude-desktop', 'claude-code', 'vscode', 'cursor', 'chatgpt', 'inspector']);
    expect(all['claude-desktop'].service_token.config.mcpServers['docker-gateway'].args).toContain('CF-Access-Client-Secret:${CF_ACCESS_CLIENT_SECRET}');
    expect(all.vscode.service_token.config.servers['docker-gateway'].headers['CF-Access-Client-Secret']).toBe('${input:cf-access-client-secret}');
    expect(readFileSync(path.join(out('design'), 'stacks', 'mcp-gateway', 'cdk.tf.json'), 'utf8')).toContain('$${input:cf-access-client-secret}');
  });

  it('the local-only stack: 127.0.0.1:<gateway_port> with the bearer placeholder; --way filters', async () => {
    const r = await sh('npm', ['run', '-s', 'client-config', '--', 'vscode', '--way', 'bearer_token', '--json', '--out', out('local')]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).bearer_token.config.servers['docker-gateway']).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:3456/mcp',
      headers: { Authorization: 'Bearer ${input:mcp-gateway-token}' },
    });
    const none = await sh('npm', ['run', '-s', 'client-config', '--', 'vscode', '--way', 'email_login', '--out', out('local')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('client-config: this stack has no email_login configuration for vscode; the ways it has: bearer_token');
  });

  it('says what to do without a synth, for an unknown client and a bad --way', async () => {
    const missing = await sh('npm', ['run', '-s', 'client-config', '--', '--out', path.join(dir, 'nowhere')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/client-config: no synthesized stack at .*nowhere\/stacks\/mcp-gateway\/cdk\.tf\.json: run `npm run synth` first/);
    const unknown = await sh('npm', ['run', '-s', 'client-config', '--', 'copilot', '--out', out('local')]);
    expect(unknown.stderr).toContain('client-config: unknown client "copilot"; choose one of claude, claude-desktop, claude-code, vscode, cursor, chatgpt, inspector');
    const way = await sh('npm', ['run', '-s', 'client-config', '--', '--way', 'oauth', '--out', out('local')]);
    expect(way.stderr).toContain('client-config: unknown --way "oauth"; choose one of email_login, service_token, bearer_token');
  });
});
