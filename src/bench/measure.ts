/**
 * Running one measurement in its own process: `zcat` (under /usr/bin/time for CPU and peak RSS) or a
 * node child (src/bench/child.ts, which reports its own figures). Medians over repeats.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildReport, ChildTask } from './child.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.js');
const TIME_BIN = '/usr/bin/time';

/** One run of a variant. */
export type Sample = ChildReport;

function collect(child: ReturnType<typeof spawn>, what: string): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`${what} could not start: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${what} failed (${signal ?? `exit ${code}`}): ${stderr.slice(-2000)}`));
    });
  });
}

/** `zcat files > /dev/null`, timed from here; CPU and peak RSS from GNU time (falls back to no RSS without it). */
export async function measureZcat(files: readonly string[]): Promise<Sample> {
  const devNull = fs.openSync('/dev/null', 'w');
  const useTime = fs.existsSync(TIME_BIN);
  const [cmd, args] = useTime ? [TIME_BIN, ['-f', '%U %S %M', 'zcat', ...files]] : ['zcat', [...files]];
  try {
    const t0 = process.hrtime.bigint();
    const { stderr } = await collect(spawn(cmd, args, { stdio: ['ignore', devNull, 'pipe'] }), 'zcat');
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const last = stderr.trim().split('\n').pop() ?? '';
    const [user, sys, rssKb] = last.split(' ').map(Number);
    return {
      seconds,
      cpuSeconds: useTime ? (user ?? 0) + (sys ?? 0) : seconds,
      maxRssMb: useTime ? (rssKb ?? 0) / 1024 : 0,
      pages: 0,
      rows: 0,
      bytes: 0,
    };
  } finally {
    fs.closeSync(devNull);
  }
}

/** Runs `task` in a fresh node process. `nodeArgs` e.g. ['--cpu-prof', '--cpu-prof-dir=...'] for profiling. */
export async function measureChild(task: ChildTask, nodeArgs: readonly string[] = []): Promise<Sample> {
  const { stdout } = await collect(
    spawn(process.execPath, [...nodeArgs, CHILD, JSON.stringify(task)], { stdio: ['ignore', 'pipe', 'pipe'] }),
    `bench child (${task.variant})`,
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Sample;
}

/** Starts several children at once (scaling runs) and returns the wall time until the last one ends. */
export async function measureParallel(tasks: readonly ChildTask[]): Promise<{ seconds: number; samples: Sample[] }> {
  const t0 = process.hrtime.bigint();
  const samples = await Promise.all(tasks.map((t) => measureChild(t)));
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, samples };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median of every field over samples (each field independently). */
export function medianSample(samples: readonly Sample[]): Sample {
  const m = (f: keyof Sample): number => median(samples.map((s) => s[f]));
  return { seconds: m('seconds'), cpuSeconds: m('cpuSeconds'), maxRssMb: m('maxRssMb'), pages: m('pages'), rows: m('rows'), bytes: m('bytes') };
}
