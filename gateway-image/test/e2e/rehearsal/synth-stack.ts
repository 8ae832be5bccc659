/**
 * Synthesizes the stack through the real app (`node --import tsx main.ts`, the command cdktf.json runs) from a
 * tfvars file written for the rehearsal, into a private output folder (CDKTF_OUTDIR), and reads the one stack's
 * cdk.tf.json through cdktf's manifest.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gatewayContext } from '../helpers/images.js';

const run = promisify(execFile);

/** The repository root (main.ts, cdktf.json, constructs/): gateway-image/'s parent. */
export const projectRoot = resolve(gatewayContext, '..');

/** The parts of cdk.tf.json the rehearsal reads. */
export interface TerraformJson {
  readonly provider?: Record<string, Array<Record<string, unknown>>>;
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, unknown>;
  readonly variable?: Record<string, { type?: string; sensitive?: boolean; default?: unknown; validation?: Array<{ condition: string; error_message: string }> }>;
  readonly output?: Record<string, { value: unknown; sensitive?: boolean }>;
  readonly [key: string]: unknown;
}

/** A synthesized stack on disk. */
export interface SynthesizedStack {
  /** Stack name (the folder under cdktf.out/stacks/). */
  readonly name: string;
  /** Folder Terraform would run in; relative paths in the plan (the build context) are relative to it. */
  readonly stackDir: string;
  /** The parsed cdk.tf.json. */
  readonly json: TerraformJson;
  /** What main.ts printed. */
  readonly log: string;
}

/** A tfvars value: scalars, lists and maps of them. */
export type TfvarsValue = string | number | boolean | readonly TfvarsValue[] | { readonly [key: string]: TfvarsValue };
/** tfvars values the rehearsal writes. */
export type TfvarsValues = Readonly<Record<string, TfvarsValue>>;

/**
 * Renders `key = value` lines. JSON is valid HCL for the values used here: string literals, lists, and objects (HCL's
 * object constructor takes `"key": value` as well as `key = value`); strings must not hold `${` or `%{`.
 */
export function renderTfvars(values: TfvarsValues): string {
  return Object.entries(values).map(([k, v]) => `${k} = ${JSON.stringify(v)}\n`).join('');
}

/**
 * Writes `<workDir>/rehearsal.tfvars`, runs the app with MCP_STACK_TFVARS pointing at it and CDKTF_OUTDIR at
 * `<workDir>/cdktf.out` (main.ts honours both; CDKTF_OUTDIR is what `cdktf synth` sets), bounded by `timeoutMs`.
 */
export async function synthesizeStack(opts: { tfvars: TfvarsValues; workDir: string; timeoutMs?: number; /** HCL appended verbatim (a documented example). */ extraHcl?: string }): Promise<SynthesizedStack> {
  const tfvarsPath = join(opts.workDir, 'rehearsal.tfvars');
  const outdir = join(opts.workDir, 'cdktf.out');
  writeFileSync(tfvarsPath, `${renderTfvars(opts.tfvars)}${opts.extraHcl ? `${opts.extraHcl}\n` : ''}`);
  const env: NodeJS.ProcessEnv = { ...process.env, MCP_STACK_TFVARS: tfvarsPath, CDKTF_OUTDIR: outdir };
  delete env.MCP_STACK_STATE_FILE;
  let log: string;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: projectRoot, env, timeout: opts.timeoutMs ?? 120_000 });
    log = `${stdout}${stderr}`;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`synthesizing the stack from ${tfvarsPath} failed: ${e.stderr || e.stdout || e.message}`);
  }
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    stacks: Record<string, { synthesizedStackPath: string; workingDirectory: string }>;
  };
  const names = Object.keys(manifest.stacks);
  if (names.length !== 1) throw new Error(`expected one synthesized stack, got ${names.join(', ') || 'none'}`);
  const stack = manifest.stacks[names[0]];
  return {
    name: names[0],
    stackDir: join(outdir, stack.workingDirectory),
    json: JSON.parse(readFileSync(join(outdir, stack.synthesizedStackPath), 'utf8')) as TerraformJson,
    log,
  };
}
