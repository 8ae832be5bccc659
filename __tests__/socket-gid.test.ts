/**
 * docker_socket_gid: an explicit value wins; unset, the socket's real group is read at synth time when Terraform
 * manages this machine's engine; otherwise 999, with a note saying how to set it.
 */
import { mkdtempSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStackConfig } from '../constructs/config/load-config';
import { chooseSocketGid, statGid } from '../constructs/config/socket-gid';
import { validateConfig } from '../constructs/config/validate-config';
import { buildStackFromConfig, envMap, onlyResource } from './helpers';
import { Testing } from 'cdktf';

const stat105 = (p: string) => (p === '/var/run/docker.sock' ? 105 : undefined);

describe('chooseSocketGid', () => {
  it('reads the group of the local socket when docker_socket_gid is unset', () => {
    const { config, note } = chooseSocketGid(validateConfig({}), stat105);
    expect(config.dockerSocketGid).toBe(105);
    expect(config.dockerSocketGidSource).toBe('detected');
    expect(note).toBe('docker_socket_gid = 105 (the group of /var/run/docker.sock on this machine; set docker_socket_gid to override)');
  });
  it('an explicit value wins, and says so', () => {
    const { config, note } = chooseSocketGid(validateConfig({ docker_socket_gid: 998 }), stat105);
    expect(config.dockerSocketGid).toBe(998);
    expect(config.dockerSocketGidSource).toBe('tfvars');
    expect(note).toBe('docker_socket_gid = 998 (from the tfvars file)');
  });
  it('stats docker_socket_path, the socket that is mounted', () => {
    const { config } = chooseSocketGid(validateConfig({ docker_socket_path: '/run/user/1000/docker.sock' }), (p) => (p === '/run/user/1000/docker.sock' ? 1000 : undefined));
    expect(config.dockerSocketGid).toBe(1000);
  });
  it('falls back to 999 with a note when the socket cannot be read', () => {
    const { config, note } = chooseSocketGid(validateConfig({}), () => undefined);
    expect(config.dockerSocketGid).toBe(999);
    expect(config.dockerSocketGidSource).toBe('default');
    expect(note).toBe('docker_socket_gid = 999 (default: /var/run/docker.sock cannot be read here; set docker_socket_gid to `stat -c %g /var/run/docker.sock` on the Docker host)');
  });
  it('does not stat a local path when docker_host is another machine', () => {
    const { config, note } = chooseSocketGid(validateConfig({ docker_host: 'ssh://me@nas' }), () => 105);
    expect(config.dockerSocketGid).toBe(999);
    expect(note).toContain('docker_host is remote');
  });
  it('says nothing for a tcp:// engine (no socket mounted, no group added)', () => {
    expect(chooseSocketGid(validateConfig({ docker_socket_path: 'tcp://proxy:2375' }), stat105)).toEqual({ config: validateConfig({ docker_socket_path: 'tcp://proxy:2375' }) });
  });
  it('the detected group reaches the container as group_add', () => {
    const container = onlyResource(JSON.parse(Testing.synth(buildStackFromConfig(chooseSocketGid(validateConfig({}), stat105).config))), 'docker_container');
    expect(container.group_add).toEqual(['105']);
    expect(envMap(container).MCP_GATEWAY_HOST).toBe('0.0.0.0');
  });
  it('statGid reads a real file\'s group', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'gid-')), 'f');
    writeFileSync(file, '');
    expect(statGid(file)).toBe(statSync(file).gid);
    expect(statGid(`${file}.missing`)).toBeUndefined();
  });
  it('loadStackConfig applies it and returns the note', async () => {
    const { config, notes } = await loadStackConfig({ env: {}, context: {}, cwd: mkdtempSync(path.join(tmpdir(), 'gid-cwd-')), statGid: stat105 });
    expect(config.dockerSocketGid).toBe(105);
    expect(notes).toEqual(['docker_socket_gid = 105 (the group of /var/run/docker.sock on this machine; set docker_socket_gid to override)']);
  });
});
