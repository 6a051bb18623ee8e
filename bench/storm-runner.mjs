// The storm of refresh.bench.ts: starts N copies of a node command at once and waits for all.
// A process of its own, small, so what is timed is the fifty `token` processes and not the bench
// process (large, with the fixtures loaded) forking fifty times; run under /usr/bin/time, its
// CPU figure is that of the whole storm (every child is waited for).
// Usage: node storm-runner.mjs <count> <script> [args...]; prints {"wallMs"} on stdout, exits 1
// when a child failed (its stderr then on ours).
import { spawn } from 'node:child_process';

const [count, ...command] = process.argv.slice(2);
const n = Number(count);
const started = performance.now();
let left = n;
let failed = 0;
for (let i = 0; i < n; i++) {
  const child = spawn(process.execPath, command, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.on('exit', (code) => {
    if (code !== 0) {
      failed++;
      process.stderr.write(`exit ${code}: ${stderr}\n`);
    }
    if (--left === 0) {
      process.stdout.write(`${JSON.stringify({ wallMs: performance.now() - started })}\n`);
      process.exitCode = failed ? 1 : 0;
    }
  });
}
