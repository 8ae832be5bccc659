import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { buildStack, buildStackFromConfig, fixtureConfig } from './helpers';

// One snapshot per stack variant. Read the diff before updating one: it is the whole plan input.
describe('stack snapshots', () => {
  it('local-only (embedded default)', () => {
    expect(JSON.parse(Testing.synth(buildStack()))).toMatchSnapshot();
  });
  it('full Cloudflare (fixtures/full.tfvars)', async () => {
    expect(JSON.parse(Testing.synth(buildStackFromConfig(await fixtureConfig('full.tfvars'))))).toMatchSnapshot();
  });
});

describe('cdktf validations (every resource has its provider, ...)', () => {
  it('pass for the local-only stack', () => {
    expect(() => Testing.synth(buildStack(), true)).not.toThrow();
  });
  it('pass for the full Cloudflare stack', async () => {
    const stack = buildStackFromConfig(await fixtureConfig('full.tfvars'));
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });
});
