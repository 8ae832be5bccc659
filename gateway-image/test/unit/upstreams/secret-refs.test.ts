/**
 * `{{secret:NAME}}` references: the source (env first, then the secrets directory), substitution at launch on a
 * copy, the loader's problems (missing secret, wrong place, malformed), and that nothing logged holds a value.
 */
import { Writable } from 'node:stream';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type Dockerode from 'dockerode';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { loadGatewayConfig, redactedConfig } from '../../../src/load-config.js';
import { createUpstreams, parseUpstreamsConfig } from '../../../src/core/upstreams/index.js';
import type { Launcher } from '../../../src/core/upstreams/launcher.js';
import { secretReferenceProblems, withResolvedSecrets } from '../../../src/core/upstreams/resolve-server-secrets.js';
import { hasMalformedReference, resolveSecretReferences, secretReferences, secretSourceFrom } from '../../../src/core/upstreams/secret-refs.js';
import type { UpstreamServerConfig } from '../../../src/core/upstreams/upstreams-config.js';

const SECRET = 'ghp_unitSecretValue0123456789abcdefXYZ';
const noFiles = (p: string): string => {
  throw new Error(`ENOENT: ${p}`);
};

describe('secretReferences / hasMalformedReference', () => {
  it('finds every name, spaces inside the braces allowed', () => {
    expect(secretReferences('Bearer {{secret:A}} and {{ secret:B_2 }}')).toEqual(['A', 'B_2']);
    expect(secretReferences('no reference')).toEqual([]);
  });
  it.each(['{{secret:my-key}}', '{{secret:}}', '{{secret:A'])('%s is malformed', (v) => {
    expect(hasMalformedReference(v)).toBe(true);
  });
  it('a valid reference is not malformed', () => {
    expect(hasMalformedReference('x {{secret:OK}} y')).toBe(false);
  });
});

describe('secretSourceFrom', () => {
  it('reads MCP_GATEWAY_SECRET_<NAME> first', () => {
    const files = { '/run/secrets/A': 'from-file\n' } as Record<string, string>;
    const source = secretSourceFrom({ MCP_GATEWAY_SECRET_A: 'from-env', MCP_GATEWAY_SECRETS_DIR: '/run/secrets' }, (p) => files[p] ?? noFiles(p));
    expect(source.get('A')).toBe('from-env');
  });
  it('then <MCP_GATEWAY_SECRETS_DIR>/<NAME>, one trailing newline trimmed', () => {
    const files = { '/run/secrets/A': 'from-file\n' } as Record<string, string>;
    const source = secretSourceFrom({ MCP_GATEWAY_SECRETS_DIR: '/run/secrets/' }, (p) => files[p] ?? noFiles(p));
    expect(source.get('A')).toBe('from-file');
    expect(source.get('B')).toBeUndefined();
    expect(source.describe('B')).toBe('MCP_GATEWAY_SECRET_B or the file /run/secrets/B');
  });
  it('without a directory, says both ways', () => {
    expect(secretSourceFrom({}, noFiles).describe('X')).toBe('MCP_GATEWAY_SECRET_X (or a file X in MCP_GATEWAY_SECRETS_DIR)');
  });
});

describe('resolveSecretReferences / withResolvedSecrets', () => {
  const source = secretSourceFrom({ MCP_GATEWAY_SECRET_GH: SECRET }, noFiles);
  it('substitutes inside a string', () => {
    expect(resolveSecretReferences('Bearer {{secret:GH}}', source)).toBe(`Bearer ${SECRET}`);
  });
  it('throws naming the missing secret and where to put it, never a value', () => {
    expect(() => resolveSecretReferences('{{secret:NOPE}}', source)).toThrow('secret "NOPE" is not set: provide MCP_GATEWAY_SECRET_NOPE (or a file NOPE in MCP_GATEWAY_SECRETS_DIR)');
  });
  it('resolves environment of command and image servers, headers of remote ones, on a copy', () => {
    const { config } = parseUpstreamsConfig({
      mcpServers: {
        c: { command: '/bin/sh', environment: { GITHUB_TOKEN: '{{secret:GH}}', PLAIN: 'x' } },
        i: { image: 'x:1', environment: { K: '{{secret:GH}}' } },
        r: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer {{secret:GH}}' } },
      },
    });
    const servers = config!.mcpServers;
    expect((withResolvedSecrets(servers.c, source) as { environment: object }).environment).toEqual({ GITHUB_TOKEN: SECRET, PLAIN: 'x' });
    expect((withResolvedSecrets(servers.i, source) as { environment: object }).environment).toEqual({ K: SECRET });
    expect((withResolvedSecrets(servers.r, source) as { headers: object }).headers).toEqual({ Authorization: `Bearer ${SECRET}` });
    expect(JSON.stringify(servers)).not.toContain(SECRET);
  });
});

describe('secretReferenceProblems', () => {
  const parse = (mcpServers: Record<string, unknown>) => parseUpstreamsConfig({ mcpServers }).config!.mcpServers;
  it('names a secret that is not provided', () => {
    expect(secretReferenceProblems(parse({ c: { command: '/bin/sh', environment: { T: '{{secret:T}}' } } }), secretSourceFrom({}, noFiles))).toEqual([
      'mcpServers.c.environment.T: references secret "T", which is not set; provide MCP_GATEWAY_SECRET_T (or a file T in MCP_GATEWAY_SECRETS_DIR)',
    ]);
  });
  it('refuses references in args and urls', () => {
    const source = secretSourceFrom({ MCP_GATEWAY_SECRET_T: SECRET }, noFiles);
    expect(secretReferenceProblems(parse({ c: { command: '/bin/sh', args: ['--key', '{{secret:T}}'] } }), source)).toEqual([
      'mcpServers.c: holds a secret reference outside environment; references are resolved only in environment and headers values (argv and URLs are visible in ps and logs)',
    ]);
  });
  it('refuses a malformed reference', () => {
    expect(secretReferenceProblems(parse({ r: { url: 'https://mcp.example.com/mcp', headers: { A: '{{secret:a-b}}' } } }), secretSourceFrom({}, noFiles))).toEqual([
      'mcpServers.r.headers.A: malformed secret reference; write "{{secret:NAME}}" with NAME of letters, digits and "_"',
    ]);
  });
});

describe('loadGatewayConfig with secret references', () => {
  const json = JSON.stringify({ mcpServers: { gh: { command: '/bin/sh', environment: { GITHUB_TOKEN: '{{secret:GH}}' } } } });
  it('exits with a config problem when the secret is missing', () => {
    expect(() => loadGatewayConfig({ env: { MCP_GATEWAY_CONFIG_JSON: json } })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ env: { MCP_GATEWAY_CONFIG_JSON: json } })).toThrow(/mcpServers\.gh\.environment\.GITHUB_TOKEN: references secret "GH", which is not set; provide MCP_GATEWAY_SECRET_GH/);
  });
  it('loads when it is set; the config and its logged form keep only the reference', () => {
    const config = loadGatewayConfig({ env: { MCP_GATEWAY_CONFIG_JSON: json, MCP_GATEWAY_SECRET_GH: SECRET } });
    const server = config.upstreams.mcpServers.gh as { environment: Record<string, string> };
    expect(server.environment.GITHUB_TOKEN).toBe('{{secret:GH}}');
    expect(JSON.stringify(redactedConfig(config))).not.toContain(SECRET);
    expect(JSON.stringify(config)).not.toContain(SECRET);
  });
  it('reads the secret from MCP_GATEWAY_SECRETS_DIR', () => {
    const config = loadGatewayConfig({ env: { MCP_GATEWAY_CONFIG_JSON: json, MCP_GATEWAY_SECRETS_DIR: '/s' }, readFile: (p) => (p === '/s/GH' ? SECRET : noFiles(p)) });
    expect(Object.keys(config.upstreams.mcpServers)).toEqual(['gh']);
  });
});

describe('createUpstreams resolves at launch and logs no value', () => {
  it('the launcher receives the secret; nothing the upstreams log holds it', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const logger = pino({ level: 'trace' }, sink);
    const received: UpstreamServerConfig[] = [];
    const launcher: Launcher = async (server, lctx) => {
      received.push(server);
      const mcp = new McpServer({ name: lctx.server, version: '1' });
      mcp.registerTool('ping', {}, async () => ({ content: [{ type: 'text', text: 'pong' }] }));
      const [client, serverSide] = InMemoryTransport.createLinkedPair();
      await mcp.connect(serverSide);
      return { transport: client, describe: 'memory', exited: new Promise(() => undefined), stderrTail: () => '' };
    };
    const { config } = parseUpstreamsConfig({ mcpServers: { gh: { command: '/bin/sh', lifecycle: 'shared', environment: { GITHUB_TOKEN: '{{secret:GH}}' } } } });
    const u = createUpstreams(config!, {
      docker: {} as Dockerode, logger, instanceId: 'unit', launcher, secrets: secretSourceFrom({ MCP_GATEWAY_SECRET_GH: SECRET }, noFiles),
    });
    try {
      await u.start();
      expect((await u.tools()).map((t) => t.name)).toEqual(['gh__ping']);
      expect((received[0] as { environment: Record<string, string> }).environment.GITHUB_TOKEN).toBe(SECRET);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('')).not.toContain(SECRET);
    } finally {
      await u.close();
    }
  });
});
