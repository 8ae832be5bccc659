/** Official MCP SDK clients connected to a gateway under test, over Streamable HTTP or SSE. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { E2E_TOKEN } from './gateway-container.js';

/** Connects an SDK client to `${url}/mcp` (Streamable HTTP) or `${url}/sse` (SSE). */
export async function connectClient(url: string, transport: 'streamable-http' | 'sse' = 'streamable-http', token: string = E2E_TOKEN): Promise<Client> {
  const client = new Client({ name: 'e2e-test', version: '1.0.0' });
  const headers = { Authorization: `Bearer ${token}` };
  const t = transport === 'sse'
    ? new SSEClientTransport(new URL(`${url}/sse`), { requestInit: { headers }, eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) } })
    : new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } });
  await client.connect(t);
  return client;
}

/** The structured content of a tool result, failing loudly when the call errored. */
export function data(result: unknown): Record<string, any> {
  const r = result as { isError?: boolean; structuredContent?: Record<string, unknown>; content?: Array<{ text?: string }> };
  if (r.isError) throw new Error(`tool returned isError: ${r.content?.[0]?.text}`);
  return r.structuredContent as Record<string, any>;
}
