/**
 * Tool results in MCP CallToolResult form. Failures the model should see (unknown container, engine down,
 * timeouts) are `isError` results, never thrown: a thrown error would become a JSON-RPC error the model
 * cannot reason about.
 */
import type { ToolResult } from '../contracts.js';
import { DockerOperationError, EngineStreamError, EngineUnreachableError } from '../docker/docker-client.js';

/** A successful result carrying `data` as structured content and as JSON text for clients that read text only. */
export function okResult(data: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

/** A failed result with a message for the model and optional structured detail. */
export function errorResult(message: string, data?: Record<string, unknown>): ToolResult {
  return data
    ? { content: [{ type: 'text', text: message }], structuredContent: { error: message, ...data }, isError: true }
    : { content: [{ type: 'text', text: message }], isError: true };
}

/** The standard answer when a container (or other object) does not exist. */
export function notFound(kind: string, id: string): ToolResult {
  return errorResult(`No such ${kind}: ${id}. Use docker_ps (all: true) to list containers and their names.`);
}

/** Maps errors thrown by the Docker client to `isError` results; anything else is rethrown. */
export function dockerErrorResult(err: unknown): ToolResult {
  if (err instanceof EngineStreamError) return errorResult(err.message);
  // The message names the endpoint and why (unreachable, permission denied, deadline, circuit open, not an engine).
  if (err instanceof EngineUnreachableError) return errorResult(err.message);
  if (err instanceof DockerOperationError) return errorResult(err.message);
  throw err;
}
