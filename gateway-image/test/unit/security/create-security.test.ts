import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecurity } from '../../../src/core/security/create-security.js';
import { parseSecurityConfig } from '../../../src/core/security/security-config.js';
import { verifyAuditFiles } from '../../../src/core/security/verify.js';
import { ctx, GATEWAY_ID, lookup, tool } from './fixtures.js';

const TOKEN = 'create-security-token-0123456789';
let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('createSecurity', () => {
  it('wires one object the edge and pipeline can use end to end', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sec-'));
    const errors: unknown[] = [];
    const config = parseSecurityConfig({
      auth: { tokens: [{ name: 'ci', token: TOKEN }] },
      http: { publicHostname: 'mcp.example.com' },
      policy: { roles: { ops: { tools: ['docker_*'], containers: { labels: ['mcp.expose=true'] } } }, bindings: [{ tokens: ['ci'], roles: ['ops'] }] },
      exec: { defaultUser: 'app' },
      limits: { execPerMinute: 1 },
      audit: { file: join(dir, 'audit.log') },
    });
    const sec = createSecurity(config, { ...lookup(), gatewayContainerId: GATEWAY_ID, now: () => Date.parse('2026-11-22T08:00:00Z'), onAuditError: (e) => errors.push(e) });

    expect(sec.checkOriginHost({ host: 'mcp.example.com', origin: 'https://evil.com' })).toMatchObject({ ok: false, status: 403 });
    expect(sec.checkOriginHost({ host: 'mcp.example.com' })).toEqual({ ok: true });
    expect(sec.corsHeaders({ origin: 'https://mcp.example.com' })).toEqual({});
    const auth = await sec.authenticate({ authorization: `Bearer ${TOKEN}` });
    expect(auth.ok).toBe(true);
    if (!auth.ok) return;

    const exec = tool('docker_exec', true);
    const allowed = await sec.authorizer.authorize({ tool: exec, args: { id: 'web-1', cmd: ['ls'] }, ctx: ctx(auth.principal) });
    expect(allowed.allow).toBe(true);
    const denied = await sec.authorizer.authorize({ tool: exec, args: { id: 'cloudflared', cmd: ['ls'] }, ctx: ctx(auth.principal) });
    expect(denied).toMatchObject({ allow: false, ruleId: 'scope.protected-container' });

    expect(sec.execUser(undefined, 'root')).toBe('app');
    expect(sec.execUser('1000', 'root')).toBe('1000');

    const slot = sec.limiter.acquire(auth.principal, 'docker_exec');
    expect(slot.ok).toBe(true);
    if (slot.ok) slot.release();
    expect(sec.limiter.acquire(auth.principal, 'docker_exec')).toMatchObject({ ok: false, ruleId: 'limits.rate' });

    const args = sec.redactor.redactArgs('docker_exec', { id: 'web-1', cmd: ['ls'], env: ['SECRET=x'] });
    await sec.audit.append({ time: new Date().toISOString(), traceId: 't', principal: auth.principal.id, authMethod: auth.principal.authMethod, tool: 'docker_exec', target: 'web-1', phase: 'decision', decision: 'allow', ruleId: allowed.ruleId, args });
    await sec.audit.append({ time: new Date().toISOString(), traceId: 't', principal: auth.principal.id, authMethod: auth.principal.authMethod, tool: 'docker_exec', target: 'cloudflared', phase: 'decision', decision: 'deny', ruleId: denied.ruleId });
    expect(sec.audit.healthy()).toBe(true);
    await sec.close();
    expect(sec.audit.currentFile?.()).toBe(join(dir, 'audit-2026-11-22.log'));
    expect(await verifyAuditFiles(dir)).toMatchObject({ ok: true, records: 2 });
    expect(errors).toEqual([]);
  });
  it('uses a no-op audit sink when audit is disabled', async () => {
    const sec = createSecurity(parseSecurityConfig({ audit: { enabled: false } }), lookup());
    await sec.audit.append({ time: '', traceId: '', principal: '', authMethod: 'none', tool: '', phase: 'decision', decision: 'allow', ruleId: '' });
    expect(sec.audit.healthy()).toBe(true);
    await sec.close();
  });
});
