/** Session servers from one factory, driven by the official SDK client over the SDK's in-memory transport. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import type { ToolContext, ToolDefinition } from '../../../src/core/contracts.js';
import type { ToolPipeline } from '../../../src/core/pipeline.js';
import { createSessionServerFactory } from '../../../src/mcp/session-server.js';

// A tool that asks the client of its call for a completion, as an upstream tool does when its server samples.
const asking: ToolDefinition = {
  name: 'ask', description: '', annotations: {}, mutating: false,
  run: async (_args, ctx) => {
    const r = await ctx.askClient!('sampling/createMessage', { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 });
    return { content: [{ type: 'text', text: JSON.stringify(r.content) }] };
  },
};
const pipeline: Pick<ToolPipeline, 'call'> = { call: (tool, args, input) => tool.run(args as Record<string, unknown>, { ...input, traceId: 't', dryRun: false } as ToolContext) };
const factory = () => createSessionServerFactory({
  identity: { name: 'gw', version: '0' }, pipeline,
  tools: { list: async () => [], get: async (name) => (name === 'ask' ? asking : undefined), unknownToolMessage: (name) => `Unknown tool: ${name}` },
});

async function connect(newServer: ReturnType<typeof factory>, capabilities: Record<string, object>) {
  const client = new Client({ name: 'unit-host', version: '1' }, { capabilities });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await newServer({ id: 'p', authMethod: 'none' }).connect(b);
  await client.connect(a);
  return client;
}

describe('session servers', () => {
  it('share one JSON Schema validator (the SDK would build an Ajv instance per session)', () => {
    const newServer = factory();
    // The SDK keeps it in a private field; what matters is that both sessions hold the same object.
    const validatorOf = (s: unknown) => (s as { _jsonSchemaValidator: unknown })._jsonSchemaValidator;
    expect(validatorOf(newServer())).toBe(validatorOf(newServer()));
    expect(validatorOf(newServer())).not.toBe(validatorOf(factory()()));
  });

  it('askClient reaches the client of the call when it declared the capability, and says why not otherwise', async () => {
    const newServer = factory();
    const host = await connect(newServer, { sampling: {} });
    host.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: 'answer' } }));
    expect(await host.callTool({ name: 'ask', arguments: {} })).toMatchObject({ content: [{ text: '{"type":"text","text":"answer"}' }] });
    const plain = await connect(newServer, {});
    await expect(plain.callTool({ name: 'ask', arguments: {} })).rejects.toThrow('unit-host (the client of this call) does not support sampling, so sampling/createMessage cannot be answered');
    await Promise.all([host.close(), plain.close()]);
  });
});
