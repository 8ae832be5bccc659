import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './helpers';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  steps: Step[];
  environment?: string | { name: string };
  env?: Record<string, string>;
  if?: string;
  needs?: string | string[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const dir = path.join(ROOT, '.github', 'workflows');
const workflows: Record<string, Workflow> = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => [f, parse(readFileSync(path.join(dir, f), 'utf8')) as Workflow]),
);
const scripts = Object.keys((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps);
const runs = (wf: Workflow) => steps(wf).flatMap((s) => (s.run ? [s.run] : []));

/** The package.json scripts a shell snippet calls: `npm run X`, `npm run-script X`, `npm test`, `npm start`. */
function npmScriptsCalled(script: string): string[] {
  const called = [...script.matchAll(/\bnpm\s+(?:run|run-script)\s+([\w:.-]+)/g)].map((m) => m[1]);
  for (const m of script.matchAll(/\bnpm\s+(test|start|stop|restart)\b/g)) called.push(m[1]);
  return called;
}

describe('.github/workflows', () => {
  it('has the test, diff and deploy workflows', () => {
    expect(Object.keys(workflows).sort()).toEqual(['deploy.yml', 'diff.yml', 'test.yml']);
  });

  it('extracts npm scripts from shell lines', () => {
    expect(npmScriptsCalled('npm ci && npm run synth\nnpm run deploy -- --auto-approve | tee x\nnpm test')).toEqual(['synth', 'deploy', 'test']);
  });

  it.each(Object.keys(workflows))('%s only calls npm scripts that exist in package.json', (file) => {
    const called = runs(workflows[file]).flatMap(npmScriptsCalled);
    expect(called.length).toBeGreaterThan(0);
    for (const name of called) expect(scripts, `npm run ${name} in ${file}`).toContain(name);
  });

  it('diff: runs cdktf diff on pull requests with setup-terraform and the token from secrets, and posts it', () => {
    const wf = workflows['diff.yml'];
    expect(Object.keys(wf.on)).toEqual(['pull_request']);
    const job = wf.jobs.diff;
    expect(job.steps.some((s) => s.uses?.startsWith('hashicorp/setup-terraform@'))).toBe(true);
    expect(job.env?.CLOUDFLARE_API_TOKEN).toBe('${{ secrets.CLOUDFLARE_API_TOKEN }}');
    expect(job.env?.TF_VAR_gateway_auth_tokens).toBe('${{ secrets.GATEWAY_AUTH_TOKENS }}');
    expect(runs(wf).some((r) => npmScriptsCalled(r).includes('diff'))).toBe(true);
    expect(runs(wf).some((r) => r.includes('gh pr comment'))).toBe(true);
    // Fork pull requests must not run on the self-hosted runner that holds the secrets.
    expect(job.if).toBe('github.event.pull_request.head.repo.full_name == github.repository');
  });

  it('deploy: runs cdktf deploy on main behind an environment, after the tests', () => {
    const wf = workflows['deploy.yml'];
    expect((wf.on.push as { branches: string[] }).branches).toEqual(['main']);
    const job = wf.jobs.deploy;
    expect(job.environment).toBe('production');
    expect(job.needs).toBe('test');
    expect(job.env?.CLOUDFLARE_API_TOKEN).toBe('${{ secrets.CLOUDFLARE_API_TOKEN }}');
    expect(job.steps.some((s) => s.uses?.startsWith('hashicorp/setup-terraform@'))).toBe(true);
    expect(runs(wf).some((r) => npmScriptsCalled(r).includes('deploy'))).toBe(true);
  });

  it('test: runs npm test', () => {
    expect(runs(workflows['test.yml']).flatMap(npmScriptsCalled)).toContain('test');
  });

  it('never writes a secret into a run line or a file', () => {
    for (const [file, wf] of Object.entries(workflows)) {
      for (const run of runs(wf)) expect(run, file).not.toMatch(/secrets\./);
    }
  });
});
