/**
 * One JSON Schema validator provider for every SDK Client (upstreams) and Server (sessions) of a gateway. The SDK
 * builds an Ajv instance (with ajv-formats) per Client and per Server otherwise (~0.3 ms and ~25 KB each), and a
 * Client compiles each tool's output schema whenever it lists tools: with per-session and per-call upstream
 * instances that was one Ajv plus one compile per schema for every instance started, and one Ajv per client session.
 * Here the Ajv instance is built on first use and shared, and compiled validators are reused by schema text.
 */
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';

/** Compiled validators kept at most; beyond it the cache starts over (an upstream cannot grow it without bound). */
const MAX_CACHED = 256;

/** A {@link jsonSchemaValidator} that compiles each distinct schema once. */
export class SharedSchemaValidator implements jsonSchemaValidator {
  private inner?: AjvJsonSchemaValidator;
  private readonly compiled = new Map<string, JsonSchemaValidator<unknown>>();

  /** The validator of `schema`, compiled on first use. */
  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    const key = JSON.stringify(schema);
    let v = this.compiled.get(key);
    if (!v) {
      this.inner ??= new AjvJsonSchemaValidator();
      v = this.inner.getValidator<unknown>(schema);
      if (this.compiled.size >= MAX_CACHED) this.compiled.clear();
      this.compiled.set(key, v);
    }
    return v as JsonSchemaValidator<T>;
  }
}
