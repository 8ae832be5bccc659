/**
 * Ready-to-paste MCP client configurations for the gateway: the `client_configs` stack output and what
 * `npm run client-config` prints. Placeholders only (`<...>`): never a secret. Values that the client itself
 * expands (`${input:...}` in VS Code, `${env:...}` in Cursor, `${VAR}` in mcp-remote's `--header`) keep secrets out of
 * config files and argv. docs/interop.md walks through each one.
 */

/** A JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** The clients, in the order they are printed. */
export const CLIENT_NAMES = ['claude', 'claude-desktop', 'claude-code', 'vscode', 'cursor', 'chatgpt', 'inspector'] as const;
/** One of {@link CLIENT_NAMES}. */
export type ClientName = (typeof CLIENT_NAMES)[number];

/** The ways in: Access Managed OAuth (a browser login), an Access service token (two headers), the gateway's bearer token. */
export type AuthWay = 'email_login' | 'service_token' | 'bearer_token';

/** One way for one client. */
export interface ClientConfig {
  /** What the user does, in one or two sentences. */
  readonly how: string;
  /** Where `config` goes (a file path), when it is a file. */
  readonly file?: string;
  /** The configuration to paste (JSON files). */
  readonly config?: Json;
  /** The command to run (command-line clients). */
  readonly command?: string;
  /** Set when this client cannot use this way, with the reason and the alternative. */
  readonly unsupported?: string;
}

/** Every client's configurations, by way in. */
export type ClientConfigs = Record<ClientName, Partial<Record<AuthWay, ClientConfig>>>;

/** Options of {@link buildClientConfigs}. */
export interface ClientConfigOptions {
  /** The Streamable HTTP endpoint, `https://<host>/mcp` or `http://127.0.0.1:<port>/mcp`. */
  readonly mcpUrl: string;
  /** `tunnel`: behind Cloudflare Access; `local`: the 127.0.0.1 listener with the gateway bearer token. */
  readonly mode: 'tunnel' | 'local';
  /** Managed OAuth is on (tunnel only). */
  readonly emailLogin?: boolean;
  /** Name of a service token to show in the placeholders. @default "<name>" */
  readonly serviceTokenName?: string;
}

/** mcp-remote, pinned to the version the tests run (`npx` fetches it on the user's machine). */
export const MCP_REMOTE_PACKAGE = 'mcp-remote@0.15.1';
/** The server's name in every configuration. */
export const SERVER_NAME = 'docker-gateway';

/** Placeholders the user replaces; they name where the value comes from. */
export const PLACEHOLDERS = {
  clientId: '<CF-Access-Client-Id: terraform output -json service_token_client_ids>',
  clientSecret: '<CF-Access-Client-Secret: terraform output -json service_token_client_secrets>',
  gatewayToken: '<gateway token: the part after name= in TF_VAR_gateway_auth_tokens>',
} as const;

const CLAUDE_DESKTOP_FILE = 'claude_desktop_config.json (Claude Desktop: Settings > Developer > Edit Config)';
const VSCODE_FILE = '.vscode/mcp.json (workspace) or the user mcp.json (MCP: Open User Configuration)';
const CURSOR_FILE = '~/.cursor/mcp.json (or .cursor/mcp.json in a project)';
const INSPECTOR_HOW = 'Save as inspector.json and run: npx @modelcontextprotocol/inspector --cli --config inspector.json --server docker-gateway --method tools/list';
const NO_HEADERS_CLAUDE = 'Claude connectors send no custom headers; use the email login, or Claude Desktop through mcp-remote (claude-desktop)';
const NO_HEADERS_CHATGPT = 'ChatGPT connectors support OAuth or no authentication only; use the email login';

/** Builds every client's configuration for one endpoint. Pure; placeholders only. */
export function buildClientConfigs(opts: ClientConfigOptions): ClientConfigs {
  const url = opts.mcpUrl;
  const remote = (headerArgs: string[]) => ['-y', MCP_REMOTE_PACKAGE, url, ...headerArgs];
  const desktop = (args: string[], env?: Record<string, string>): Json => ({
    mcpServers: { [SERVER_NAME]: { command: 'npx', args, ...(env ? { env } : {}) } },
  });
  const httpServer = (headers?: Record<string, string>): Json => ({ url, ...(headers ? { headers } : {}) });

  if (opts.mode === 'local') {
    const bearer = { Authorization: `Bearer ${PLACEHOLDERS.gatewayToken}` };
    const local = 'ChatGPT/Claude connectors connect from their cloud and cannot reach 127.0.0.1; publish the gateway with enable_cloudflare_tunnel = true';
    return {
      claude: { bearer_token: { how: 'Not available for a local gateway.', unsupported: local } },
      'claude-desktop': {
        bearer_token: {
          how: 'Paste into the config file, put the token in env, restart Claude Desktop; mcp-remote bridges stdio to the gateway.',
          file: CLAUDE_DESKTOP_FILE,
          // The header's value comes from env (mcp-remote expands ${VAR}): no token in argv, no space in an argument.
          config: desktop(remote(['--header', 'Authorization:${MCP_GATEWAY_AUTH_HEADER}']), { MCP_GATEWAY_AUTH_HEADER: `Bearer ${PLACEHOLDERS.gatewayToken}` }),
        },
      },
      'claude-code': {
        bearer_token: {
          how: 'Export MCP_GATEWAY_TOKEN, then run the command; /mcp in Claude Code shows the server connected.',
          command: `claude mcp add --transport http ${SERVER_NAME} ${url} --header "Authorization: Bearer $MCP_GATEWAY_TOKEN"`,
        },
      },
      vscode: {
        bearer_token: {
          how: 'Paste into mcp.json; VS Code asks for the token once (stored in its secret storage) when the server starts.',
          file: VSCODE_FILE,
          config: {
            inputs: [{ type: 'promptString', id: 'mcp-gateway-token', description: 'MCP gateway bearer token', password: true }],
            servers: { [SERVER_NAME]: { type: 'http', url, headers: { Authorization: 'Bearer ${input:mcp-gateway-token}' } } },
          },
        },
      },
      cursor: {
        bearer_token: {
          how: 'Paste into mcp.json and start Cursor with MCP_GATEWAY_TOKEN in its environment.',
          file: CURSOR_FILE,
          config: { mcpServers: { [SERVER_NAME]: httpServer({ Authorization: 'Bearer ${env:MCP_GATEWAY_TOKEN}' }) } },
        },
      },
      chatgpt: { bearer_token: { how: 'Not available for a local gateway.', unsupported: local } },
      inspector: {
        bearer_token: {
          how: `${INSPECTOR_HOW} (replace the placeholder first).`,
          file: 'inspector.json',
          config: { mcpServers: { [SERVER_NAME]: { type: 'streamable-http', ...(httpServer(bearer) as Record<string, Json>) } } },
        },
      },
    };
  }

  const tokenNote = opts.serviceTokenName ? ` (service token "${opts.serviceTokenName}")` : ' (add a name to service_tokens first)';
  const idHeader = 'CF-Access-Client-Id';
  const secretHeader = 'CF-Access-Client-Secret';
  const serviceHeaders = { [idHeader]: PLACEHOLDERS.clientId, [secretHeader]: PLACEHOLDERS.clientSecret };
  const emailOff = 'Managed OAuth is off (access_managed_oauth = false or no allowed_emails/allowed_email_domains); use a service token';
  const email = (c: ClientConfig): ClientConfig => (opts.emailLogin ? c : { how: 'Not available.', unsupported: emailOff });

  return {
    claude: {
      email_login: email({
        how: `Claude (web, Desktop, mobile): Settings > Connectors > Add custom connector, URL ${url}, Add, then Connect: a browser window shows the Cloudflare Access login; log in with an allowed email.`,
      }),
      service_token: { how: 'Not available.', unsupported: NO_HEADERS_CLAUDE },
    },
    'claude-desktop': {
      email_login: email({
        how: 'Paste into the config file and restart Claude Desktop: mcp-remote opens the Cloudflare Access login in the browser on first use.',
        file: CLAUDE_DESKTOP_FILE,
        config: desktop(remote([])),
      }),
      service_token: {
        how: `Paste into the config file with the two values in env${tokenNote}, restart Claude Desktop.`,
        file: CLAUDE_DESKTOP_FILE,
        config: desktop(remote(['--header', `${idHeader}:\${CF_ACCESS_CLIENT_ID}`, '--header', `${secretHeader}:\${CF_ACCESS_CLIENT_SECRET}`]), {
          CF_ACCESS_CLIENT_ID: PLACEHOLDERS.clientId,
          CF_ACCESS_CLIENT_SECRET: PLACEHOLDERS.clientSecret,
        }),
      },
    },
    'claude-code': {
      email_login: email({
        how: 'Run the command, then /mcp in Claude Code and pick the server: the browser shows the Cloudflare Access login.',
        command: `claude mcp add --transport http ${SERVER_NAME} ${url}`,
      }),
      service_token: {
        how: `Export CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET${tokenNote}, then run the command.`,
        command: `claude mcp add --transport http ${SERVER_NAME} ${url} --header "${idHeader}: $CF_ACCESS_CLIENT_ID" --header "${secretHeader}: $CF_ACCESS_CLIENT_SECRET"`,
      },
    },
    vscode: {
      email_login: email({
        how: 'Paste into mcp.json and start the server: VS Code asks to authenticate, the browser shows the Cloudflare Access login.',
        file: VSCODE_FILE,
        config: { servers: { [SERVER_NAME]: { type: 'http', url } } },
      }),
      service_token: {
        how: `Paste into mcp.json; VS Code asks for both values once${tokenNote} and keeps them in its secret storage.`,
        file: VSCODE_FILE,
        config: {
          inputs: [
            { type: 'promptString', id: 'cf-access-client-id', description: idHeader, password: false },
            { type: 'promptString', id: 'cf-access-client-secret', description: secretHeader, password: true },
          ],
          servers: { [SERVER_NAME]: { type: 'http', url, headers: { [idHeader]: '${input:cf-access-client-id}', [secretHeader]: '${input:cf-access-client-secret}' } } },
        },
      },
    },
    cursor: {
      email_login: email({
        how: 'Paste into mcp.json; Cursor shows "Needs login" on the server: click it, the browser shows the Cloudflare Access login.',
        file: CURSOR_FILE,
        config: { mcpServers: { [SERVER_NAME]: httpServer() } },
      }),
      service_token: {
        how: `Paste into mcp.json and start Cursor with CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET in its environment${tokenNote}.`,
        file: CURSOR_FILE,
        config: { mcpServers: { [SERVER_NAME]: httpServer({ [idHeader]: '${env:CF_ACCESS_CLIENT_ID}', [secretHeader]: '${env:CF_ACCESS_CLIENT_SECRET}' }) } },
      },
    },
    chatgpt: {
      email_login: email({
        how: `ChatGPT: Settings > Apps & Connectors > Advanced settings > Developer mode on, then Create: MCP server URL ${url}, Authentication OAuth; the browser shows the Cloudflare Access login.`,
      }),
      service_token: { how: 'Not available.', unsupported: NO_HEADERS_CHATGPT },
    },
    inspector: {
      email_login: email({
        how: 'The Inspector CLI cannot do a browser login (it asks for a TTY); use the service token, or the Inspector web UI (npx @modelcontextprotocol/inspector) with this URL.',
        file: 'inspector.json',
        config: { mcpServers: { [SERVER_NAME]: { type: 'streamable-http', url } } },
      }),
      service_token: {
        how: `${INSPECTOR_HOW} (replace both placeholders first${tokenNote}).`,
        file: 'inspector.json',
        config: { mcpServers: { [SERVER_NAME]: { type: 'streamable-http', ...(httpServer(serviceHeaders) as Record<string, Json>) } } },
      },
    },
  };
}

/**
 * Terraform reads `${...}` and `%{...}` in an output value as templates; the clients' own `${input:...}` and
 * `${VAR}` must reach the user verbatim, so they are written escaped (`$${`, `%%{`) and Terraform unescapes them.
 */
export function escapeForTerraform<T extends Json>(value: T): T {
  return mapStrings(value, (s) => s.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{')) as T;
}

/** The inverse of {@link escapeForTerraform}, for reading the output from cdk.tf.json without Terraform. */
export function unescapeFromTerraform<T extends Json>(value: T): T {
  return mapStrings(value, (s) => s.replace(/\$\$\{/g, () => '${').replace(/%%\{/g, () => '%{')) as T;
}

function mapStrings(value: Json, f: (s: string) => string): Json {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
  return value;
}
