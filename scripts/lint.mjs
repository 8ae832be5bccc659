// Project lint: the rules STYLE.md asks for that a generic linter does not know. Prints every finding as
// `file:line: rule: message` and exits 1 when there is any. Run with `npm run lint`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const findings = [];

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'cdktf.out' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function check(files, rule, test) {
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      // An exemption must say why, on the line itself: `// lint-allow <rule>: <reason>`.
      if (new RegExp(`lint-allow ${rule}: \\S`).test(line)) return;
      const msg = test(line, i, lines, file);
      if (msg) findings.push(`${relative(root, file)}:${i + 1}: ${rule}: ${msg}`);
    });
  }
}

const gatewaySrc = walk(join(root, 'gateway-image/src'));
const stackSrc = [join(root, 'main.ts'), ...walk(join(root, 'constructs'))];
const tests = [...walk(join(root, '__tests__')), ...walk(join(root, 'gateway-image/test'))];
const isComment = (l) => /^\s*(\/\/|\*|\/\*)/.test(l);

// Config is parsed once at the edge: only the entry points read the environment.
check(gatewaySrc.filter((f) => !f.endsWith('/src/main.ts')), 'no-env', (l) =>
  !isComment(l) && /process\.env\b/.test(l) ? 'read configuration in load-config.ts and inject it, not process.env' : undefined);
// One exit point: main.ts sets process.exitCode after async cleanup (and ends a process that its cleanup left holding
// the event loop; nothing else ends the process).
check([...gatewaySrc.filter((f) => !f.endsWith('/src/main.ts')), ...stackSrc], 'no-process-exit', (l) =>
  !isComment(l) && /process\.exit\(/.test(l) ? 'set process.exitCode in the entry point after cleanup' : undefined);
// Logs go through pino (stderr); stdout belongs to the stdio transport.
check(gatewaySrc, 'no-console', (l) => !isComment(l) && /\bconsole\.(log|info|debug)\(/.test(l) ? 'use the injected pino logger' : undefined);
// Provider package roots cost ~1 s to load: import per-resource paths.
check(stackSrc, 'provider-deep-import', (l) =>
  /from '@cdktf\/provider-(docker|cloudflare)'/.test(l) ? 'import from @cdktf/provider-x/lib/<resource>' : undefined);
// No focused or skipped tests left behind.
check(tests, 'no-skip-only', (l) =>
  /\b(it|test|describe)\.(only|skip|todo)\(|\bx(it|describe)\(/.test(l) ? 'remove .only/.skip/.todo' : undefined);
// JSDoc on every exported symbol.
check([...gatewaySrc, ...stackSrc], 'jsdoc-exports', (l, i, lines) => {
  if (!/^export (async )?(function|class|interface|type|const|abstract class|enum) /.test(l) || /^export type \{/.test(l)) return undefined;
  let j = i - 1;
  while (j >= 0 && /^\s*(@|\/\/)/.test(lines[j])) j -= 1;
  return j >= 0 && /\*\/\s*$/.test(lines[j]) ? undefined : `document ${l.replace(/^export (async )?/, '').split(/[ (<=:{]/).slice(0, 2).join(' ')} with JSDoc`;
});

for (const f of findings) console.log(f);
console.log(`lint: ${findings.length} finding${findings.length === 1 ? '' : 's'} in ${gatewaySrc.length + stackSrc.length + tests.length} files`);
process.exitCode = findings.length ? 1 : 0;
