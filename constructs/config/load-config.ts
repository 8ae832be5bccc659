import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { StackConfigError } from '../errors';
import type { StackConfig } from './stack-config';
import { chooseSocketGid, type StatGid } from './socket-gid';
import { validateConfig } from './validate-config';

/** Environment variable naming the tfvars file; wins over the cdktf.json context key. */
export const TFVARS_ENV = 'MCP_STACK_TFVARS';
/** cdktf.json `context` key naming the tfvars file. */
export const TFVARS_CONTEXT_KEY = 'tfvarsPath';
/** The file read when neither the env var nor the context key names one. */
export const DEFAULT_TFVARS = 'terraform.tfvars';

/** Where the configuration came from. */
export interface ConfigSource {
  /** Absolute path of the tfvars file, or undefined for the embedded default. */
  readonly path?: string;
  /** Why this source was picked: `env`, `context`, `default-file` or `embedded-default`. */
  readonly origin: 'env' | 'context' | 'default-file' | 'embedded-default';
}

/** Inputs of {@link resolveConfigSource}; passed in so nothing reads process state behind the caller's back. */
export interface ResolveSourceOptions {
  /** Process environment (reads {@link TFVARS_ENV}). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** cdktf context (reads {@link TFVARS_CONTEXT_KEY}). */
  readonly context: Readonly<Record<string, unknown>>;
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
}

/** Inputs of {@link loadStackConfig}. */
export interface LoadOptions extends ResolveSourceOptions {
  /** Reads a path's group id (the Docker socket's). @default - fs.statSync */
  readonly statGid?: StatGid;
}

/**
 * Picks the tfvars file: `MCP_STACK_TFVARS`, else cdktf.json context `tfvarsPath`, else `./terraform.tfvars`
 * when it exists, else the embedded default (local-only stack). A path named explicitly must exist.
 */
export function resolveConfigSource(options: ResolveSourceOptions): ConfigSource {
  const fromEnv = options.env[TFVARS_ENV];
  const fromContext = options.context[TFVARS_CONTEXT_KEY];
  const explicit: Array<[ConfigSource['origin'], unknown, string]> = [
    ['env', fromEnv, TFVARS_ENV],
    ['context', fromContext, `cdktf.json context.${TFVARS_CONTEXT_KEY}`],
  ];
  for (const [origin, value, key] of explicit) {
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') {
      throw new StackConfigError([{ key, received: JSON.stringify(value), message: 'must be a path string to a tfvars file' }]);
    }
    const file = path.resolve(options.cwd, value);
    if (!existsSync(file)) {
      throw new StackConfigError([{ key, received: JSON.stringify(value), message: `names a file that does not exist (${file}); fix the path or unset ${key}` }]);
    }
    return { path: file, origin };
  }
  const fallback = path.resolve(options.cwd, DEFAULT_TFVARS);
  if (existsSync(fallback)) return { path: fallback, origin: 'default-file' };
  return { origin: 'embedded-default' };
}

/**
 * Parses HCL tfvars text into a plain object. Syntax errors become a {@link StackConfigError}.
 */
export async function parseTfvars(text: string, fileName: string): Promise<Record<string, unknown>> {
  try {
    return (await parse(fileName, text)) as Record<string, unknown>;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    // received '': the whole file is at fault and its text may hold anything (secrets included): show none of it.
    throw new StackConfigError([{ key: fileName, received: '', message: `is not valid HCL: ${detail.trim()}; fix the syntax (key = value, one per line)` }]);
  }
}

/**
 * Loads and validates the stack configuration. The embedded default (no file) is an empty tfvars:
 * every key at its default, which is the local-only stack that needs no credentials.
 */
export async function loadStackConfig(options: LoadOptions): Promise<{ config: StackConfig; source: ConfigSource; notes: string[] }> {
  const source = resolveConfigSource(options);
  const raw = source.path === undefined ? {} : await parseTfvars(readFileSync(source.path, 'utf8'), path.basename(source.path));
  const validated = validateConfig(raw, source.path ?? 'the embedded default');
  const gid = chooseSocketGid(validated, options.statGid);
  return { config: gid.config, source, notes: gid.note ? [gid.note] : [] };
}
