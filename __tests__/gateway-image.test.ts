import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TerraformStack, Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { hashDirectory, isIgnored, readDockerignore } from '../constructs/content-hash';
import { GatewayImage } from '../constructs/gateway-image';
import { FIXTURE_CONTEXT, onlyResource, problemsOf, ROOT, synth, synthJson } from './helpers';

function context(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-context-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('GatewayImage', () => {
  it('builds gateway-image/ relative to the Terraform working directory, hash in triggers, no build args by default', () => {
    const image = onlyResource(synthJson(), 'docker_image');
    expect(image).toEqual({
      name: 'mcp-gateway:local',
      keep_locally: true,
      triggers: { context_sha256: hashDirectory(FIXTURE_CONTEXT) },
      build: {
        context: '../../../__tests__/fixtures/gateway-image',
        dockerfile: 'Dockerfile',
        label: { project: 'docker-mcp-gateway', component: 'gateway', 'managed-by': 'cdktf' },
        remove: true,
      },
    });
  });

  it('passes base_image as the BASE_IMAGE build argument', () => {
    expect(synth({ base_image: 'mcp-gateway-base:local' })).toHaveResourceWithProperties('docker_image', {
      build: { build_args: { BASE_IMAGE: 'mcp-gateway-base:local' } },
    });
  });

  it('pulls docker_image instead of building', () => {
    const json = synthJson({ docker_image: 'ghcr.io/acme/mcp-gateway:1.2.3' });
    expect(onlyResource(json, 'docker_image')).toEqual({ name: 'ghcr.io/acme/mcp-gateway:1.2.3', keep_locally: true });
    expect(onlyResource(json, 'docker_container').image).toBe('${docker_image.gateway-image_0FD5DE07.image_id}');
  });

  it('points the real stack at gateway-image/ by default', () => {
    const stack = new TerraformStack(Testing.app(), 'mcp-gateway');
    const image = new GatewayImage(stack, 'gateway-image', { projectDir: ROOT });
    expect(image.built).toBe(true);
    expect(JSON.parse(Testing.synth(stack)).resource.docker_image['gateway-image_0FD5DE07'].build.context).toBe('../../../gateway-image');
  });

  it('rejects contradictory or relative props', () => {
    const stack = new TerraformStack(Testing.app(), 'mcp-gateway');
    expect(problemsOf(() => new GatewayImage(stack, 'img', { prebuiltImage: 'a:1', baseImage: 'node:22', buildContextDir: 'relative' }))).toEqual([
      'baseImage: has no effect with prebuiltImage (nothing is built); pass only one of them (got "node:22")',
      'buildContextDir: must be an absolute path; use path.resolve(...) (got "relative")',
    ]);
  });
});

describe('hashDirectory', () => {
  it('changes when a file changes, is stable otherwise', () => {
    const a = context({ Dockerfile: 'FROM x', 'src/main.ts': 'one' });
    const b = context({ Dockerfile: 'FROM x', 'src/main.ts': 'one' });
    const c = context({ Dockerfile: 'FROM x', 'src/main.ts': 'two' });
    expect(hashDirectory(a)).toBe(hashDirectory(b));
    expect(hashDirectory(a)).not.toBe(hashDirectory(c));
  });
  it('changes when a file is renamed', () => {
    expect(hashDirectory(context({ 'a.ts': 'x' }))).not.toBe(hashDirectory(context({ 'b.ts': 'x' })));
  });
  it('ignores node_modules, .git and what .dockerignore excludes', () => {
    const base = { Dockerfile: 'FROM x', '.dockerignore': 'test/\ndist\n# comment\n*.md\n' };
    const clean = hashDirectory(context(base));
    const noisy = hashDirectory(
      context({ ...base, 'node_modules/x/index.js': '1', 'src/node_modules/y.js': '2', '.git/HEAD': 'ref', 'test/a.test.ts': 't', 'dist/main.js': 'd', 'README.md': 'r' }),
    );
    expect(noisy).toBe(clean);
    expect(hashDirectory(context({ ...base, 'src/README.md': 'kept: *.md is anchored at the root' }))).not.toBe(clean);
  });
  it('follows Docker .dockerignore semantics: anchored patterns, **, ! exceptions, last match wins', () => {
    const rules = readDockerignore(context({ '.dockerignore': '*.md\n!KEEP.md\n**/*.log\n/build/\nsrc/*/fixtures\n' }));
    expect(isIgnored('README.md', rules)).toBe(true);
    expect(isIgnored('KEEP.md', rules)).toBe(false);
    expect(isIgnored('docs/guide.md', rules)).toBe(false);
    expect(isIgnored('a/b/c.log', rules)).toBe(true);
    expect(isIgnored('x.log', rules)).toBe(true);
    expect(isIgnored('build/out.js', rules)).toBe(true);
    expect(isIgnored('src/core/fixtures/a.json', rules)).toBe(true);
    expect(isIgnored('src/core/main.ts', rules)).toBe(false);
  });
});
