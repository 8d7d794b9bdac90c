/**
 * Running one measurement in its own process: `zcat` (under /usr/bin/time for CPU and peak RSS) or a
 * node child (src/bench/child.ts, which reports its own figures). Medians over repeats.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKER_NODE_FLAGS } from '../config/index.js';
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
  return measureCommand('zcat', files);
}

/**
 * `cmd args` as a whole process, start-up included, its stdout to /dev/null: wall seconds, and CPU and peak RSS from
 * GNU time when it is installed (else the wall time).
 */
export async function measureCommand(cmd: string, args: readonly string[], label = cmd): Promise<Sample> {
  const devNull = fs.openSync('/dev/null', 'w');
  const useTime = fs.existsSync(TIME_BIN);
  const [bin, argv] = useTime ? [TIME_BIN, ['-f', '%U %S %M', cmd, ...args]] : [cmd, [...args]];
  try {
    const t0 = process.hrtime.bigint();
    const { stderr } = await collect(spawn(bin, argv, { stdio: ['ignore', devNull, 'pipe'] }), label);
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

/**
 * The worker's variants run with the node flags of real worker processes: the worker path, and the reader (the
 * worker's own reading, as a worker does it; without the flags V8's background GC threads add ~0.1 s of CPU a file).
 */
const nodeArgsOf = (task: ChildTask): readonly string[] => (task.variant === 'worker' || task.variant === 'reader' ? WORKER_NODE_FLAGS : []);

/** Runs `task` in a fresh node process; its own figures. */
export async function measureChild(task: ChildTask): Promise<Sample> {
  const { samples } = await measureParallel([task]);
  return samples[0] as Sample;
}

/**
 * Starts several children at once (scaling runs) and returns the wall time until the last one ends. Children with
 * `barrier` set are started together: each reports `ready` (after its warm-up), and all are told to go at once.
 */
export async function measureParallel(tasks: readonly ChildTask[]): Promise<{ seconds: number; samples: Sample[] }> {
  const children = tasks.map((task) => {
    const child = spawn(process.execPath, [...nodeArgsOf(task), CHILD, JSON.stringify(task)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const ready = new Promise<void>((resolve) => {
      if (!('barrier' in task && task.barrier)) return resolve();
      let seen = '';
      const onData = (b: Buffer): void => {
        seen += b.toString();
        if (!seen.includes('ready\n')) return;
        child.stdout?.off('data', onData);
        resolve();
      };
      child.stdout?.on('data', onData);
    });
    return { child, ready, done: collect(child, `bench child (${task.variant})`) };
  });
  let outputs: { stdout: string }[];
  let t0: bigint;
  try {
    // A child that fails before it is ready fails the measurement instead of leaving the others waiting.
    await Promise.race([Promise.all(children.map((c) => c.ready)), Promise.all(children.map((c) => c.done))]);
    t0 = process.hrtime.bigint();
    for (const c of children) c.child.stdin?.end('go\n');
    outputs = await Promise.all(children.map((c) => c.done));
  } catch (err) {
    for (const c of children) c.child.kill();
    throw err;
  }
  const samples = outputs.map(({ stdout }) => JSON.parse(stdout.trim().split('\n').pop() ?? '') as Sample);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, samples };
}

/** `zcat` over several sets of files at once, one process per set: the wall time until the last one ends. */
export async function zcatParallel(sets: readonly (readonly string[])[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  await Promise.all(sets.map((files) => measureZcat(files)));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median of every field over samples (each field independently). */
export function medianSample(samples: readonly Sample[]): Sample {
  const m = (f: Exclude<keyof Sample, 'inflate'>): number => median(samples.map((s) => s[f]));
  const inflate = samples[0]?.inflate;
  return { seconds: m('seconds'), cpuSeconds: m('cpuSeconds'), maxRssMb: m('maxRssMb'), pages: m('pages'), rows: m('rows'), bytes: m('bytes'), ...(inflate ? { inflate } : {}) };
}
