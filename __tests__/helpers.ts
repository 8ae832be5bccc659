import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Testing } from 'cdktf';
import { expect } from 'vitest';
import { parseTfvars } from '../constructs/config/load-config';
import type { StackConfig } from '../constructs/config/stack-config';
import { validateConfig } from '../constructs/config/validate-config';
import { GatewayStack, type GatewayStackProps } from '../constructs/gateway-stack';

/** Repository root. */
export const ROOT = path.resolve(__dirname, '..');
/** Test fixtures. */
export const FIXTURES = path.join(__dirname, 'fixtures');
/** A stable stand-in for gateway-image/ (its hash does not move when the gateway changes). */
export const FIXTURE_CONTEXT = path.join(FIXTURES, 'gateway-image');

/** Valid ids used by the tests. */
export const ACCOUNT_ID = '0123456789abcdef0123456789abcdef';
export const ZONE_ID = 'fedcba9876543210fedcba9876543210';

/** The smallest raw tfvars object that enables the tunnel. */
export const TUNNEL_RAW: Readonly<Record<string, unknown>> = {
  enable_cloudflare_tunnel: true,
  domain_suffix: 'example.com',
  cloudflare_account_id: ACCOUNT_ID,
  cloudflare_zone_id: ZONE_ID,
  access_team_name: 'acme',
  allowed_emails: ['ops@example.org'],
};

/** Parses and validates a fixture tfvars file. */
export async function fixtureConfig(name: string): Promise<StackConfig> {
  const file = path.join(FIXTURES, name);
  return validateConfig(await parseTfvars(readFileSync(file, 'utf8'), name), file);
}

/** Builds the stack from a raw tfvars object, as main.ts would, with the fixture build context. */
export function buildStack(raw: Readonly<Record<string, unknown>> = {}, extra: Partial<GatewayStackProps> = {}): GatewayStack {
  return buildStackFromConfig(validateConfig(raw), extra);
}

/** Builds the stack from a validated config. */
export function buildStackFromConfig(config: StackConfig, extra: Partial<GatewayStackProps> = {}): GatewayStack {
  const app: App = Testing.app();
  return new GatewayStack(app, 'mcp-gateway', { config, projectDir: ROOT, buildContextDir: FIXTURE_CONTEXT, ...extra });
}

/** Synthesizes a raw tfvars object to cdk.tf.json text (aspects, hence guardrails, included). */
export function synth(raw: Readonly<Record<string, unknown>> = {}): string {
  return Testing.synth(buildStack(raw));
}

/** The synthesized JSON as an object. */
export function synthJson(raw: Readonly<Record<string, unknown>> = {}): SynthJson {
  return JSON.parse(synth(raw)) as SynthJson;
}

/** The synthesized stack, loosely typed for assertions. */
export interface SynthJson {
  resource?: Record<string, Record<string, Record<string, any>>>;
  data?: Record<string, Record<string, Record<string, any>>>;
  provider?: Record<string, Array<Record<string, any>>>;
  output?: Record<string, Record<string, any>>;
  variable?: Record<string, Record<string, any>>;
}

/** The only resource of a type (fails the test when there is not exactly one). */
export function onlyResource(json: SynthJson, type: string): Record<string, any> {
  const all = Object.values(json.resource?.[type] ?? {});
  expect(all, `exactly one ${type}`).toHaveLength(1);
  return all[0];
}

/** The gateway container's env as a map. */
export function envMap(container: Record<string, any>): Record<string, string> {
  return Object.fromEntries((container.env as string[]).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

interface CustomMatchers<R = unknown> {
  /** cdktf's own assertion (partial, case-insensitive keys) with a readable failure message. */
  toHaveResourceWithProperties(type: string, properties: Record<string, unknown>): R;
  toHaveDataSourceWithProperties(type: string, properties: Record<string, unknown>): R;
  toHaveProviderWithProperties(type: string, properties: Record<string, unknown>): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends CustomMatchers<T> {}
}

function matcher(kind: 'resource' | 'data' | 'provider', check: (received: string, type: string, props: Record<string, unknown>) => boolean) {
  return function (this: { isNot: boolean }, received: string, type: string, properties: Record<string, unknown>) {
    const pass = check(received, type, properties);
    const json = JSON.parse(received) as Record<string, any>;
    const found = kind === 'provider' ? json.provider?.[type] : json[kind]?.[type];
    return {
      pass,
      message: () =>
        `expected ${kind} ${type} ${this.isNot ? 'not ' : ''}to have properties\n${JSON.stringify(properties, null, 2)}\nfound:\n${JSON.stringify(found ?? null, null, 2).slice(0, 4000)}`,
    };
  };
}

expect.extend({
  toHaveResourceWithProperties: matcher('resource', (r, t, p) => Testing.toHaveResourceWithProperties(r, t, p)),
  toHaveDataSourceWithProperties: matcher('data', (r, t, p) => Testing.toHaveDataSourceWithProperties(r, t, p)),
  toHaveProviderWithProperties: matcher('provider', (r, t, p) => Testing.toHaveProviderWithProperties(r, t, p)),
});

/** Runs `fn` and returns the StackConfigError messages it throws (fails when it does not throw). */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    const problems = (err as { problems?: Array<{ key: string; received: string; message: string }> }).problems;
    if (!problems) throw err;
    return problems.map((p) => `${p.key}: ${p.message}${p.received === '' ? '' : ` (got ${p.received})`}`);
  }
  throw new Error('expected a StackConfigError, nothing was thrown');
}
