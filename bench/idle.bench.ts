/**
 * Idle is idle: the native host as a browser starts it (native messaging on stdin/stdout, its
 * loopback bridge listening), left alone, next to a node process that only waits, both measured as
 * CPU ticks (utime + stime from /proc/<pid>/stat) over the same consecutive windows after start.
 * The goal is the idle node's: nothing. Expect one burst some 20 s after start in both hosts:
 * V8's memory reducer shrinking the heap the start-up grew (a one-time GC, gone with
 * --no-memory-reducer); after it, an idle host should stay at 0. BENCH_BEFORE=<dir of an earlier checkout, built> measures that version's host
 * in the same windows.
 */
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startKeyring } from '../test/fixtures/keyring-harness';
import { spawnNativeHost } from '../test/helpers/native-client';

const WINDOW_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_IDLE_ROUNDS ?? 6);

function ticks(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the line.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

const keyring = await startKeyring();
const host = spawnNativeHost({ env: { ...process.env, ...keyring.env } });
const before = process.env.BENCH_BEFORE;
const older = before ? spawnNativeHost({ env: { ...process.env, ...keyring.env }, bundle: join(before, 'dist/native-host/mcp-login-bridge.mjs') }) : undefined;
const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 2 ** 31 - 1)'], { stdio: 'ignore' });
try {
  // Let both finish starting (the host answers a hello once its loop runs).
  const hello = await host.request({ id: 'h', type: 'hello', extensionVersion: '0.0.0' });
  if (!hello.ok) throw new Error(hello.error?.message);
  if (older) await older.request({ id: 'h', type: 'hello', extensionVersion: '0.0.0' });
  const hostTicks: number[] = [];
  const idleTicks: number[] = [];
  const olderTicks: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const h0 = ticks(host.child.pid!);
    const n0 = ticks(idle.pid!);
    const o0 = older ? ticks(older.child.pid!) : 0;
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    hostTicks.push(ticks(host.child.pid!) - h0);
    idleTicks.push(ticks(idle.pid!) - n0);
    if (older) olderTicks.push(ticks(older.child.pid!) - o0);
  }
  console.log(`idle CPU, ticks (1/100 s) in each of ${ROUNDS} consecutive ${WINDOW_MS / 1000} s windows after start (goal: the idle node's, 0):`);
  console.log(`  idle node (baseline)        ${idleTicks.join(' ')}`);
  console.log(`  native host                 ${hostTicks.join(' ')}`);
  if (older) console.log(`  before: native host         ${olderTicks.join(' ')}`);
} finally {
  idle.kill();
  await older?.close();
  await host.close();
  await keyring.stop();
}
