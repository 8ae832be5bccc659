/** Remote servers: Streamable HTTP or the older SSE transport, with configured headers on every request. */
import { SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { LaunchContext, LaunchedUpstream, UpstreamExit } from './launcher.js';
import type { RemoteServerConfig } from './upstreams-config.js';

/** Creates the client transport for a remote server; nothing is sent until the client connects. */
export async function launchRemote(server: RemoteServerConfig, _ctx: LaunchContext): Promise<LaunchedUpstream> {
  const url = new URL(server.url);
  const requestInit: RequestInit = { headers: { ...server.headers } };
  const transport =
    server.transport === 'sse' ? new SSEClientTransport(url, { requestInit }) : new StreamableHTTPClientTransport(url, { requestInit });
  let resolveExit: (e: UpstreamExit) => void = () => undefined;
  const exited = new Promise<UpstreamExit>((resolve) => (resolveExit = resolve));
  const close = transport.close.bind(transport);
  transport.close = async () => {
    // Streamable HTTP: end the server-side session too, so remote servers do not accumulate sessions.
    if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
      await transport.terminateSession().catch(() => undefined);
    }
    await close();
    resolveExit({ code: null });
  };
  // Never log the URL's query or the headers: they may hold credentials.
  return { transport, describe: `${url.protocol}//${url.host}${url.pathname}`, exited, stderrTail: () => '' };
}
