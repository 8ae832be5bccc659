import { mkdtempSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkContainerSpec, resolveHostPath } from '../../../src/core/security/container-policy.js';
import { parseSecurityConfig } from '../../../src/core/security/security-config.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'cpol-')));
const allowedDir = join(root, 'allowed');
const secretDir = join(root, 'secret');
mkdirSync(join(allowedDir, 'data'), { recursive: true });
mkdirSync(secretDir);
writeFileSync(join(secretDir, 'key'), 'x');
symlinkSync(secretDir, join(allowedDir, 'escape'));
symlinkSync('/var/run', join(allowedDir, 'run-link'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cfg = parseSecurityConfig({ containers: { allowedBindPaths: [allowedDir] } });
const base = { Image: 'node:22', HostConfig: { ReadonlyRootfs: true, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], Memory: 256 * 1024 * 1024 } };
const spec = (hc: Record<string, unknown>, top: Record<string, unknown> = {}) => ({ ...base, ...top, HostConfig: { ...base.HostConfig, ...hc } });
const ruleOf = async (s: unknown) => (await checkContainerSpec(s, cfg)).ruleId;

describe('container spec: compliant', () => {
  it('allows a locked-down spec', async () => {
    expect(await checkContainerSpec(spec({}), cfg)).toMatchObject({ allow: true, ruleId: 'container.ok' });
  });
  it('allows loopback ports, named volumes, tmpfs, binds inside the allowlist', async () => {
    const s = spec({
      PortBindings: { '3000/tcp': [{ HostIp: '127.0.0.1', HostPort: '3000' }] },
      Binds: ['cache:/cache', `${allowedDir}/data:/data:ro`, `${allowedDir}/not-yet-created:/x`],
      Mounts: [{ Type: 'tmpfs', Target: '/tmp' }, { Type: 'volume', Source: 'v', Target: '/v' }, { Type: 'bind', Source: allowedDir, Target: '/a', ReadOnly: true }],
      NetworkMode: 'mcp-net',
      IpcMode: 'private',
    });
    expect(await checkContainerSpec(s, cfg)).toMatchObject({ allow: true });
  });
});

describe('container spec: the upstream launcher shape', () => {
  it('allows the locked-down spec the gateway builds for upstream servers', async () => {
    const upstream = {
      name: 'mcp-upstream-fs-1a2b3c4d', Image: 'mcp/filesystem:latest', Cmd: ['/data'], Env: ['LOG=info'],
      Labels: { 'mcp.gateway.role': 'upstream', 'mcp.gateway.owner': 'x' },
      AttachStdin: true, AttachStdout: true, AttachStderr: true, OpenStdin: true, StdinOnce: true, Tty: false,
      HostConfig: {
        AutoRemove: true, Init: true, SecurityOpt: ['no-new-privileges'], CapDrop: ['ALL'], Memory: 268435456, MemorySwap: 268435456,
        NanoCpus: 500000000, PidsLimit: 128, NetworkMode: 'bridge', ExtraHosts: ['host.docker.internal:host-gateway'],
        Binds: [`${allowedDir}/data:/data:ro`], LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
      },
    };
    expect(await checkContainerSpec(upstream, cfg)).toMatchObject({ allow: true });
    expect(await ruleOf({ ...upstream, HostConfig: { ...upstream.HostConfig, NetworkMode: 'host' } })).toBe('container.host-network');
  });
});

describe('container spec: violations', () => {
  const cases: Array<[string, unknown, string]> = [
    ['privileged', spec({ Privileged: true }), 'container.privileged'],
    ['host pid', spec({ PidMode: 'host' }), 'container.host-pid'],
    ['pid of another container', spec({ PidMode: 'container:gateway' }), 'container.host-pid'],
    ['host ipc', spec({ IpcMode: 'host' }), 'container.host-ipc'],
    ['host uts', spec({ UTSMode: 'host' }), 'container.host-uts'],
    ['host network', spec({ NetworkMode: 'host' }), 'container.host-network'],
    ['network of another container', spec({ NetworkMode: 'container:cloudflared' }), 'container.host-network'],
    ['host userns', spec({ UsernsMode: 'host' }), 'container.host-userns'],
    ['host cgroupns', spec({ CgroupnsMode: 'host' }), 'container.host-cgroupns'],
    ['cap add', spec({ CapAdd: ['SYS_ADMIN'] }), 'container.cap-add'],
    ['devices', spec({ Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }] }), 'container.devices'],
    ['seccomp unconfined', spec({ SecurityOpt: ['seccomp=unconfined'] }), 'container.unconfined'],
    ['seccomp:unconfined', spec({ SecurityOpt: ['seccomp:unconfined'] }), 'container.unconfined'],
    ['apparmor unconfined', spec({ SecurityOpt: ['apparmor=unconfined'] }), 'container.unconfined'],
    ['label disable', spec({ SecurityOpt: ['label=disable'] }), 'container.unconfined'],
    ['port on all interfaces (empty HostIp)', spec({ PortBindings: { '80/tcp': [{ HostPort: '80' }] } }), 'container.port-public'],
    ['port on 0.0.0.0', spec({ PortBindings: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '80' }] } }), 'container.port-public'],
    ['port on ::', spec({ PortBindings: { '80/tcp': [{ HostIp: '::', HostPort: '80' }] } }), 'container.port-public'],
    ['publish all', spec({ PublishAllPorts: true }), 'container.port-public'],
    ['docker socket bind', spec({ Binds: ['/var/run/docker.sock:/var/run/docker.sock'] }), 'container.docker-socket'],
    ['docker socket via /run', spec({ Binds: ['/run/docker.sock:/s'] }), 'container.docker-socket'],
    ['docker socket by dotdot', spec({ Binds: ['/var/run/../run/docker.sock:/s'] }), 'container.docker-socket'],
    ['directory holding the socket', spec({ Binds: ['/var/run:/host-run'] }), 'container.docker-socket'],
    ['host root', spec({ Binds: ['/:/host'] }), 'container.docker-socket'],
    ['socket mount', spec({ Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/s' }] }), 'container.docker-socket'],
    ['bind outside allowlist', spec({ Binds: ['/etc:/etc'] }), 'container.bind-outside-allowlist'],
    ['bind escaping with ..', spec({ Binds: [`${allowedDir}/../secret:/s`] }), 'container.bind-outside-allowlist'],
    ['bind prefix look-alike', spec({ Binds: [`${allowedDir}-evil:/s`] }), 'container.bind-outside-allowlist'],
    ['relative bind', spec({ Mounts: [{ Type: 'bind', Source: 'relative/dir', Target: '/s' }] }), 'container.bind-relative'],
    ['unknown HostConfig key', spec({ VolumesFrom: ['gateway'] }), 'container.schema'],
    ['unknown top-level key', { ...base, Volumes: {} }, 'container.schema'],
    ['runtime override', spec({ Runtime: 'runc-unsafe' }), 'container.schema'],
    ['not an object', 'docker run --privileged', 'container.schema'],
  ];
  it.each(cases)('denies %s', async (_name, s, id) => {
    const d = await checkContainerSpec(s, cfg);
    expect(d.allow).toBe(false);
    expect(d.ruleId).toBe(id);
  });
  it('denies a symlink inside the allowlist that escapes it', async () => {
    expect(await ruleOf(spec({ Binds: [`${allowedDir}/escape:/s`] }))).toBe('container.bind-outside-allowlist');
    expect(await ruleOf(spec({ Binds: [`${allowedDir}/escape/key:/s`] }))).toBe('container.bind-outside-allowlist');
    // A path under the symlink that does not exist yet still resolves through it.
    expect(await ruleOf(spec({ Binds: [`${allowedDir}/escape/new/file:/s`] }))).toBe('container.bind-outside-allowlist');
  });
  it('denies a symlink to the socket directory', async () => {
    expect(await ruleOf(spec({ Binds: [`${allowedDir}/run-link:/r`] }))).toBe('container.docker-socket');
  });
});

describe('resolveHostPath', () => {
  it('follows symlinks in existing prefixes and keeps the rest', async () => {
    expect(await resolveHostPath(`${allowedDir}/escape/a/b`)).toBe(join(secretDir, 'a/b'));
    expect(await resolveHostPath(`${allowedDir}//data/./x/..`)).toBe(join(allowedDir, 'data'));
  });
  it('rethrows errors other than not-found', async () => {
    const eacces = async () => {
      throw Object.assign(new Error('denied'), { code: 'EACCES' });
    };
    await expect(resolveHostPath('/x', eacces)).rejects.toThrow('denied');
  });
});
