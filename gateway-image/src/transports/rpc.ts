/**
 * POST /rpc: stateless JSON-RPC for scripts and curl. tools/list, tools/call and ping without an
 * initialize handshake; each call goes through the same pipeline as MCP sessions. This path skips the
 * SDK's session machinery on purpose: it is the low-latency route for automation.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../core/contracts.js';
import { ToolArgumentsError, type ToolPipeline } from '../core/pipeline.js';
import type { ToolSource } from '../core/tool-source.js';
import { GatewayError, RPC, jsonRpcError } from '../errors.js';
import { readJsonBody, rpcId, sendError, sendJson, type BodyLimits } from './http-io.js';

/** Dependencies of the adapter. */
export interface RpcDeps {
  readonly tools: ToolSource;
  readonly pipeline: Pick<ToolPipeline, 'call'>;
  readonly limits: BodyLimits;
  readonly identity: { name: string; version: string };
}

/** Creates the /rpc handler. */
export function createRpcAdapter(deps: RpcDeps) {
  return async function handleRpc(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    let body: unknown;
    try {
      body = await readJsonBody(req, deps.limits);
    } catch (err) {
      if (err instanceof GatewayError) return sendError(res, err);
      throw err;
    }
    const msg = body as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
    const id = rpcId(body);
    if (msg.jsonrpc !== '2.0' || typeof msg.method !== 'string') {
      return sendJson(res, 400, jsonRpcError(id, RPC.INVALID_REQUEST, 'invalid JSON-RPC request: need jsonrpc "2.0" and a method'));
    }
    if (msg.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    const params = (msg.params ?? {}) as { name?: unknown; arguments?: unknown };
    switch (msg.method) {
      case 'ping':
        return sendJson(res, 200, { jsonrpc: '2.0', id, result: {} });
      case 'initialize':
        return sendJson(res, 200, { jsonrpc: '2.0', id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: deps.identity } });
      case 'tools/list':
        return sendJson(res, 200, { jsonrpc: '2.0', id, result: { tools: await deps.tools.list(undefined, principal) } });
      case 'tools/call': {
        if (typeof params.name !== 'string') return sendJson(res, 200, jsonRpcError(id, RPC.INVALID_PARAMS, 'params.name: a tool name is required'));
        const tool = await deps.tools.get(params.name);
        if (!tool) return sendJson(res, 200, jsonRpcError(id, RPC.INVALID_PARAMS, deps.tools.unknownToolMessage(params.name)));
        const abort = new AbortController();
        const onClose = () => { if (!res.writableFinished) abort.abort(); };
        res.on('close', onClose);
        try {
          const result = await deps.pipeline.call(tool, params.arguments, { principal, traceId: randomUUID(), signal: abort.signal });
          return sendJson(res, 200, { jsonrpc: '2.0', id, result });
        } catch (err) {
          if (err instanceof ToolArgumentsError) return sendJson(res, 200, jsonRpcError(id, RPC.INVALID_PARAMS, err.message));
          throw err;
        } finally {
          res.off('close', onClose);
        }
      }
      default:
        return sendJson(res, 200, jsonRpcError(id, RPC.METHOD_NOT_FOUND, `Method not found: ${msg.method}. /rpc supports tools/list, tools/call, ping, initialize`));
    }
  };
}
