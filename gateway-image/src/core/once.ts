/**
 * A value built on first use and kept: used for zod schemas that only some configurations need. Each schema is
 * many object constructions at start-up, and enough of them make V8 optimize during start-up, which pages its
 * optimizing compiler's ~5 MB of machine code into an otherwise idle gateway.
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
