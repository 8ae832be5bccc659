/**
 * Summarizes a V8 .cpuprofile: self time by function and by package/file, so a profile of the gateway can be
 * read in a terminal.  node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [top]\n');
  process.exitCode = 2;
} else {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const top = Number(topArg ?? 40);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fnTime = new Map<string, number>();
  const fileTime = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, 'nm:').replace(/.*\/gateway-image\/(src|dist)\//, 'src/');
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
    fnTime.set(fn, (fnTime.get(fn) ?? 0) + us);
    const pkg = url.startsWith('nm:') ? url.slice(3).split('/').slice(0, url.slice(3).startsWith('@') ? 2 : 1).join('/') : url || n.callFrame.functionName;
    fileTime.set(pkg, (fileTime.get(pkg) ?? 0) + us);
  }
  const print = (title: string, m: Map<string, number>) => {
    console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled)`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(us / 1000).toFixed(1).padStart(9)} ms ${(100 * us / total).toFixed(1).padStart(5)}%  ${k}`);
  };
  // Inclusive time of the gateway's own functions (self + callees), each counted once per sample.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*\/gateway-image\/(src|dist)\//, 'src/')}:${n.callFrame.lineNumber + 1}`;
  const inclusive = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (!/\/gateway-image\/(src|dist)\//.test(n.callFrame.url)) continue;
      const k = key(n);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + (p.timeDeltas[i] ?? 0));
    }
  });
  print('self time by package/file', fileTime);
  print('self time by function', fnTime);
  print('inclusive time of gateway functions', inclusive);
}
