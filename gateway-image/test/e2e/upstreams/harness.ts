/**
 * Test harness: a minimal MCP server in front of {@link Upstreams} (what the gateway's MCP server will do),
 * linked in memory to the official SDK client, so tests drive upstreams exactly as a client would.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import pino from 'pino';
import type { ToolContext } from '../../../src/core/contracts.js';
import type { Upstreams } from '../../../src/core/upstreams/index.js';

const execFileP = promisify(execFile);

/** Repository root (holds node_modules with server-everything). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
/** Fixture directory. */
export const FIXTURES = path.resolve(REPO_ROOT, 'gateway-image/test/fixtures/upstreams');
/** server-everything's entry point. */
export const EVERYTHING = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
/** Label on everything tests create. */
export const TEST_LABEL = 'mcp.gateway.test';

/** Quiet logger (set UPSTREAM_TEST_LOG=debug to see upstream stderr). */
export const testLogger = pino({ level: process.env.UPSTREAM_TEST_LOG ?? 'silent' });

/** Connects an SDK client to the upstreams through an in-memory MCP server; returns the client. */
export async function connectClient(upstreams: Upstreams, sessionId: string): Promise<{ client: Client; close: () => Promise<void> }> {
  const server = new Server({ name: 'harness', version: '0' }, { capabilities: { tools: { listChanged: true }, resources: {}, prompts: {} } });
  upstreams.openSession(sessionId);
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await upstreams.tools(sessionId)).map((t) => ({ name: t.name, description: t.description, inputSchema: t.jsonSchema as never, annotations: t.annotations })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const def = (await upstreams.tools(sessionId)).find((t) => t.name === req.params.name);
    if (!def) return { content: [{ type: 'text', text: `unknown tool ${req.params.name}` }], isError: true };
    const token = req.params._meta?.progressToken;
    const ctx: ToolContext = {
      principal: { id: 'test', authMethod: 'none' },
      sessionId,
      traceId: `trace-${extra.requestId}`,
      signal: extra.signal,
      dryRun: false,
      ...(token !== undefined
        ? { progress: (p) => void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, ...p } }) }
        : {}),
    };
    return (await def.run(req.params.arguments ?? {}, ctx)) as never;
  });
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: await upstreams.resources(sessionId) }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: await upstreams.resourceTemplates(sessionId) }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req, extra) => upstreams.readResource(req.params.uri, { sessionId, signal: extra.signal }));
  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: await upstreams.prompts(sessionId) }));
  server.setRequestHandler(GetPromptRequestSchema, async (req, extra) => upstreams.getPrompt(req.params.name, req.params.arguments, { sessionId, signal: extra.signal }));
  const off = upstreams.onToolsChanged(() => void server.sendToolListChanged().catch(() => undefined));
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'test-client', version: '0' });
  await client.connect(b);
  return {
    client,
    close: async () => {
      off();
      await client.close();
      await server.close();
      await upstreams.closeSession(sessionId);
    },
  };
}

/** A ToolContext for calling definitions directly. */
export function toolContext(over: Partial<ToolContext> = {}): ToolContext {
  return { principal: { id: 'test', authMethod: 'none' }, traceId: 't', signal: new AbortController().signal, dryRun: false, ...over };
}

/** Text of the first content item. */
export function firstText(result: unknown): string {
  const c = ((result as { content?: unknown }).content as Array<{ type: string; text?: string }> | undefined)?.[0];
  return c?.text ?? '';
}

/** Live pids among the given ones. */
export function alive(pids: readonly number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

/** Polls until fn() is true or the time is up; bounded in count and time. */
export async function waitFor(fn: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 50): Promise<boolean> {
  const tries = Math.ceil(timeoutMs / everyMs);
  for (let i = 0; i < tries; i++) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return fn();
}

/** Runs the docker CLI. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileP('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Ids of containers carrying a label (running or not). */
export async function containersWithLabel(label: string): Promise<string[]> {
  const out = await docker('ps', '-aq', '--filter', `label=${label}`);
  return out ? out.split('\n') : [];
}

/**
 * Copies a package and its production dependency closure (resolved like Node does, from the repository's
 * node_modules) into dest/node_modules, keeping relative layout.
 */
export function copyDependencyClosure(pkg: string, dest: string, from = REPO_ROOT): void {
  const seen = new Set<string>();
  const queue: Array<{ name: string; fromDir: string }> = [{ name: pkg, fromDir: from }];
  for (let n = 0; queue.length > 0 && n < 2_000; n++) {
    const { name, fromDir } = queue.shift()!;
    const dir = resolvePackageDir(name, fromDir);
    if (!dir || seen.has(dir)) continue;
    seen.add(dir);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) queue.push({ name: dep, fromDir: dir });
  }
  for (const dir of seen) {
    const rel = path.relative(from, dir);
    const target = path.join(dest, rel);
    mkdirSync(path.dirname(target), { recursive: true });
    // Nested node_modules are copied as packages of their own when they are in the closure.
    cpSync(dir, target, { recursive: true, dereference: true, filter: (src) => !path.relative(dir, src).split(path.sep).includes('node_modules') });
  }
}

function resolvePackageDir(name: string, fromDir: string): string | undefined {
  let dir = fromDir;
  for (let i = 0; i < 50; i++) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/** Builds the server-everything image from the local base image; returns the tag and the build time. */
export async function buildEverythingImage(tag: string): Promise<number> {
  const ctx = mkdtempSync(path.join(tmpdir(), 'everything-image-'));
  try {
    copyDependencyClosure('@modelcontextprotocol/server-everything', ctx);
    cpSync(path.join(FIXTURES, 'Dockerfile'), path.join(ctx, 'Dockerfile'));
    cpSync(path.join(FIXTURES, 'probe.mjs'), path.join(ctx, 'probe.mjs'));
    const began = Date.now();
    await docker('build', '-q', '--force-rm', '--label', `${TEST_LABEL}=1`, '-t', tag, ctx);
    return Date.now() - began;
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}
