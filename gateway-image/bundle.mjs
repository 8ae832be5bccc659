// Builds dist/ for the image: src/main.ts and everything it imports, bundled by esbuild into a few ES modules.
//
// Why a bundle rather than tsc's one-file-per-module output: at start-up Node resolved and read ~280 files and ran
// its CommonJS export lexer over the CommonJS packages, hot enough that V8's optimizing compiler ran during
// start-up and paged its ~4.5 MB of machine code into the process. Bundled and whitespace/syntax-minified, an idle
// gateway under the stack's 512m limit is ~10 MB smaller (bench/RESULTS.md, "Idle RSS"). Identifiers are kept, so
// stack traces keep their function names; the linked source maps (dist/*.map) give source positions with
// NODE_OPTIONS=--enable-source-maps.
//
// Code splitting keeps the lazy imports lazy: the MCP session side, upstream servers and jose load on first use
// as before. dockerode is loaded with require() at run time (only for ssh:// hosts and image upstreams) and so
// stays in node_modules, which the image keeps (production dependencies only).
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isBuiltin } from 'node:module';
import { build } from 'esbuild';

// Node built-ins are loaded with require(), not imported: importing one from an ES module builds its ES module
// facade, which reads every export, lazy getters included, and `http.WebSocket` is a getter that loads undici and
// compiles its HTTP parser to WebAssembly at start-up (~4 MB of an idle gateway for a client it does not use).
const builtinsByRequire = {
  name: 'node-builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      // The require() inside the stand-in below: the real built-in, at run time.
      if (args.namespace === 'node-builtin') return { path: args.path, external: true };
      return { path: args.path, namespace: 'node-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

// zod's `locales` namespace re-exports all of its ~48 locale modules (~290 KB of source, kept in the heap of every
// gateway) so that `z.locales.de()` works. The gateway's messages are English only and English is zod's default,
// so the namespace is built with `en` alone; everything else in zod is untouched.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]v4[\\/]/.test(args.importer)) return undefined;
      return { path: join(dirname(args.importer), '../locales/en.js').replace(/en\.js$/, 'index-en-only.js'), namespace: 'zod-locales' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path.replace(/index-en-only\.js$/, 'en.js'))};`,
      loader: 'js', resolveDir: dirname(args.path),
    }));
  },
};

// The SDK's SSE transport imports raw-body (and with it iconv-lite: ~500 KB of source, held in the heap once the first
// SSE session loads it) to read a POST body when none is given. The gateway always gives it the body it has read and
// bounded itself (transports/sse.ts, http-io.ts), so raw-body is replaced by a stand-in that says so if ever reached.
const noRawBody = {
  name: 'no-raw-body',
  setup(b) {
    b.onResolve({ filter: /^raw-body$/ }, () => ({ path: 'raw-body', namespace: 'no-raw-body' }));
    b.onLoad({ filter: /.*/, namespace: 'no-raw-body' }, () => ({
      contents: "export default function getRawBody() { return Promise.reject(new Error('raw-body is not bundled: the gateway reads request bodies itself (http-io.ts)')); }",
      loader: 'js',
    }));
  },
};

// prom-client's index requires its Pushgateway client, which requires node:https at load, and with it tls and OpenSSL's
// TLS set-up: ~3 MiB of an idle gateway (measured in the image) for a push client the gateway never uses (Prometheus
// scrapes /metrics). It is replaced by a stand-in that says so if ever constructed.
const noPushgateway = {
  name: 'no-prom-pushgateway',
  setup(b) {
    b.onResolve({ filter: /^\.\/lib\/pushgateway$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]prom-client[\\/]index\.js$/.test(args.importer)) return undefined;
      return { path: 'prom-client-pushgateway', namespace: 'no-pushgateway' };
    });
    b.onLoad({ filter: /.*/, namespace: 'no-pushgateway' }, () => ({
      contents: "module.exports = class Pushgateway { constructor() { throw new Error('prom-client Pushgateway is not bundled: the gateway is scraped at GET /metrics'); } };",
      loader: 'js',
    }));
  },
};

const outdir = new URL('./dist/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [new URL('./src/main.ts', import.meta.url).pathname],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  plugins: [builtinsByRequire, zodEnglishOnly, noRawBody, noPushgateway],
  // Bundled CommonJS packages and the stand-ins above call require(); an ES module has none, so each chunk gets one.
  banner: { js: "import { createRequire as __gatewayCreateRequire } from 'node:module'; const require = __gatewayCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
