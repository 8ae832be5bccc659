import { describe, expect, it } from 'vitest';
import { checkBindVolume } from '../../../src/core/security/container-policy.js';
import { parseSecurityConfig } from '../../../src/core/security/security-config.js';

/** A fake filesystem: /srv/link -> /etc, /var/run -> /run, everything else resolves to itself. */
function realpath(p: string): string {
  if (p === '/srv/link' || p.startsWith('/srv/link/')) return p.replace('/srv/link', '/etc');
  if (p === '/var/run' || p.startsWith('/var/run/')) return p.replace('/var/run', '/run');
  return p;
}
const cfg = (allowedBindPaths: string[] = []) => parseSecurityConfig({ containers: { allowedBindPaths } });

describe('checkBindVolume (upstream image server binds)', () => {
  it('allows a bind inside the allowlist and a named volume', () => {
    expect(checkBindVolume('/srv/data/app:/data:ro', cfg(['/srv/data']), realpath)).toBeUndefined();
    expect(checkBindVolume('cache:/cache', cfg(), realpath)).toBeUndefined();
  });

  it('refuses every host path when the allowlist is empty (the default)', () => {
    expect(checkBindVolume('/srv/data:/data', cfg(), realpath)).toMatch(/^container\.bind-outside-allowlist: .*none allowed/);
  });

  it('refuses the Docker socket, through a symlinked parent, and any directory holding it', () => {
    for (const v of ['/var/run/docker.sock:/var/run/docker.sock', '/run/docker.sock:/s', '/var/run:/host-run', '/run:/r', '/:/host']) {
      expect(checkBindVolume(v, cfg(['/']), realpath), v).toMatch(/^container\.docker-socket: /);
    }
  });

  it('resolves .. and symlinks before the allowlist check', () => {
    expect(checkBindVolume('/srv/data/../../etc:/x', cfg(['/srv/data']), realpath)).toMatch(/^container\.bind-outside-allowlist: .*resolves to \/etc/);
    expect(checkBindVolume('/srv/link/passwd:/x', cfg(['/srv']), realpath)).toMatch(/resolves to \/etc\/passwd/);
  });

  it('refuses relative host paths', () => {
    expect(checkBindVolume('./data:/data', cfg(['/']), realpath)).toMatch(/^container\.bind-relative: /);
  });
});
