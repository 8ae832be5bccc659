import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './helpers';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs main.ts as cdktf.json does, with a tfvars file and an output folder of its own; never throws. */
async function synth(tfvars: string): Promise<{ code: number; out: string; outdir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-k8s-cli-'));
  dirs.push(dir);
  const file = path.join(dir, 'k8s.tfvars');
  writeFileSync(file, tfvars);
  const outdir = path.join(dir, 'cdktf.out');
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: ROOT, env: { ...process.env, MCP_STACK_TFVARS: file, CDKTF_OUTDIR: outdir }, timeout: 100_000 });
    return { code: 0, out: stdout + stderr, outdir };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}`, outdir };
  }
}

describe('the app with target = "kubernetes"', { timeout: 120_000 }, () => {
  it('writes cdk.tf.json and the plain manifests beside it', async () => {
    const { code, outdir } = await synth('target = "kubernetes"\ndocker_image = "ghcr.io/acme/mcp-gateway"\ndocker_host = "ssh://ops@docker.internal"\ningress_host = "mcp.example.com"\n');
    expect(code).toBe(0);
    const stackDir = path.join(outdir, 'stacks', 'mcp-gateway');
    const json = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    const docs = parseAllDocuments(readFileSync(path.join(stackDir, 'kubernetes', 'mcp-gateway.yaml'), 'utf8')).map((d) => d.toJS());
    // The same objects (cdk.tf.json orders resources by address, the YAML in apply order).
    const key = (o: any) => `${o.kind}/${o.metadata.name}`;
    const fromJson = Object.values(json.resource.kubernetes_manifest).map((m: any) => m.manifest);
    expect(docs.map(key)[0]).toBe('Namespace/mcp-gateway');
    expect([...docs].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(fromJson.sort((a, b) => key(a).localeCompare(key(b))));
  });

  it('reports every problem at once and leaves no cdktf.out', async () => {
    const { code, out, outdir } = await synth('target = "kubernetes"\nreplicas = 3\ndocker_host = "unix:///var/run/docker.sock"\n');
    expect(code).not.toBe(0);
    expect(out).toMatch(/replicas: must be 1/);
    expect(out).toMatch(/docker_host: must be "tcp:\/\/host:port" or "ssh:\/\/user@host"/);
    expect(out).toMatch(/docker_image: is required with target = "kubernetes"/);
    expect(existsSync(outdir)).toBe(false);
  });
});
