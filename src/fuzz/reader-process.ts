/**
 * The reader child (child.ts) seen from the harness: one long-lived process that reads input files one at a time.
 * The deadline and the memory limit are enforced HERE, with this process's timers and /proc samples, since a reader
 * spinning on its event loop cannot watch itself. A child past the deadline gets SIGINT first (node's --trace-sigint
 * prints the JS stack it was in), then SIGKILL; one past the RSS limit gets SIGKILL; the next read starts a new child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { classifyExit, classifyFatal, classifyResult, type Classified } from './classify.js';
import type { ChildMessage, ReadRequest } from './protocol.js';

export interface ReaderProcessOptions {
  /** The child's entry module (dist/src/fuzz/child.js). */
  readonly childModule: string;
  /** Wall-clock time one input may take; past it the read is a hang and the child is killed. */
  readonly deadlineMillis: number;
  /** Child RSS past which the read is a memory finding and the child is killed. */
  readonly maxRssMb: number;
  /** How often the child's RSS is sampled during a read. @default 100 */
  readonly rssPollMillis?: number;
  /** How long a (re)started child may take to say it is ready. @default 30000 */
  readonly startMillis?: number;
}

export interface ReadOutcome extends Classified {
  /** Wall-clock time of the read, kill included. */
  readonly millis: number;
}

/** Linux USER_HZ: the unit of utime/stime in /proc/<pid>/stat. */
/** The share of a core above which a child past its deadline was busy (a loop), below it idle (waiting). */
const BUSY_CPU_SHARE = 0.2;
const CLOCK_TICKS_PER_SEC = 100;
const STDERR_TAIL_CHARS = 16 * 1024;
/** Time a child past its deadline has to print its stack after SIGINT. */
const STACK_GRACE_MILLIS = 1000;

/** The process's resident set in MB, or null where /proc is not available. */
function rssMbOf(pid: number | undefined): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) the process has used, or null where /proc is not available. */
function cpuSecsOf(pid: number | undefined): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
  } catch {
    return null;
  }
}

/** A wait that does not keep the process alive by itself. */
const delay = (millis: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, millis).unref());

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

/** The child's stderr read to its end (its last words), or a short wait when that does not come. */
const stderrRead = (child: ChildProcess): Promise<void> =>
  child.stderr === null || child.stderr.closed ? Promise.resolve() : Promise.race([new Promise<void>((resolve) => child.stderr?.once('close', () => resolve())), delay(500)]);


export class ReaderProcess {
  private child: ChildProcess | null = null;
  private stderrTail = '';
  private nextId = 1;
  private starts = 0;
  private peakRss = 0;

  constructor(private readonly opts: ReaderProcessOptions) {
    if (!(opts.deadlineMillis > 0)) throw new Error(`ReaderProcess: deadlineMillis must be > 0, got ${opts.deadlineMillis}`);
    if (!(opts.maxRssMb > 0)) throw new Error(`ReaderProcess: maxRssMb must be > 0, got ${opts.maxRssMb}`);
  }

  /** Children started after the first one (after a hang, a crash or a memory finding). */
  get restarts(): number {
    return Math.max(0, this.starts - 1);
  }

  /** The largest RSS seen of any child (sampled, and each child's own peak as it reported it). */
  get peakRssMb(): number {
    return this.peakRss;
  }

  private async start(): Promise<ChildProcess> {
    const child = fork(this.opts.childModule, [], { execArgv: ['--trace-sigint'], silent: true, serialization: 'json' });
    this.starts++;
    const keep = (b: Buffer): void => {
      this.stderrTail = (this.stderrTail + b.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (err) => keep(Buffer.from(`\n[harness] child process error: ${err.message}\n`)));
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      const onMessage = (m: ChildMessage): void => {
        if (m.type === 'ready') done();
      };
      const onExit = (code: number | null, signal: string | null): void =>
        done(new Error(`The fuzz reader child (${this.opts.childModule}) exited before it was ready (code ${code}, signal ${signal}): ${this.stderrTail.trim()}`));
      const startMillis = this.opts.startMillis ?? 30_000;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done(new Error(`The fuzz reader child did not start within ${startMillis} ms: ${this.stderrTail.trim()}`));
      }, startMillis);
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    this.child = child;
    return child;
  }

  /** Reads one file in the child; never rejects for what the file does (that is the outcome), only when no child can start. */
  async read(file: string): Promise<ReadOutcome> {
    const child = this.child ?? (await this.start());
    const id = this.nextId++;
    this.stderrTail = '';
    const started = performance.now();
    const cpuBefore = cpuSecsOf(child.pid);
    return new Promise<ReadOutcome>((resolve) => {
      /** reading; ending: deciding what an exit or a passed deadline means (its messages no longer count); done. */
      let state: 'reading' | 'ending' | 'done' = 'reading';
      const finish = (c: Classified, kill: boolean): void => {
        if (state === 'done') return;
        state = 'done';
        clearTimeout(deadline);
        clearInterval(poll);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (kill) this.discard(child);
        resolve({ ...c, millis: performance.now() - started });
      };
      const onMessage = (m: ChildMessage): void => {
        if (state !== 'reading') return;
        if (m.type === 'result' && m.id === id) {
          this.peakRss = Math.max(this.peakRss, m.rssMb, m.maxRssMb);
          const c = classifyResult(m, this.opts.maxRssMb);
          finish(c, c.outcome === 'memory');
        } else if (m.type === 'fatal') {
          finish(classifyFatal(m), true);
        }
      };
      const onExit = (code: number | null, signal: string | null): void => {
        if (state !== 'reading') return;
        state = 'ending';
        void stderrRead(child).then(() => finish(classifyExit(code, signal, this.stderrTail), true));
      };
      const poll = setInterval(() => {
        const rss = rssMbOf(child.pid);
        if (rss === null || state !== 'reading') return;
        this.peakRss = Math.max(this.peakRss, rss);
        if (rss > this.opts.maxRssMb) {
          finish({ outcome: 'memory', message: `child RSS reached ${rss.toFixed(0)} MB while reading (limit ${this.opts.maxRssMb} MB)` }, true);
        }
      }, this.opts.rssPollMillis ?? 100);
      const deadline = setTimeout(() => {
        if (state !== 'reading') return;
        state = 'ending';
        void this.expire(child, started, cpuBefore).then((c) => finish(c, true));
      }, this.opts.deadlineMillis);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ type: 'read', id, path: file } satisfies ReadRequest, (err) => {
        if (err) finish({ outcome: 'crash', message: `the request could not be sent to the child: ${err.message}` }, true);
      });
    });
  }

  /** The deadline passed: was the child busy or idle, and where was it (its --trace-sigint stack)? Then it is killed. */
  private async expire(child: ChildProcess, started: number, cpuBefore: number | null): Promise<Classified> {
    const wallSecs = (performance.now() - started) / 1000;
    const cpuAfter = cpuSecsOf(child.pid);
    const share = cpuBefore !== null && cpuAfter !== null ? (cpuAfter - cpuBefore) / wallSecs : null;
    const gone = exited(child);
    child.kill('SIGINT');
    await Promise.race([gone, delay(STACK_GRACE_MILLIS)]);
    child.kill('SIGKILL');
    await Promise.race([gone, delay(STACK_GRACE_MILLIS)]);
    await stderrRead(child);
    const trace = this.stderrTail.indexOf('KEYBOARD_INTERRUPT');
    const frames = trace === -1 ? [] : this.stderrTail.slice(trace).split('\n').slice(1, 13).map((l) => l.trim()).filter((l) => l.startsWith('at '));
    // Interrupted between two microtasks: a loop of awaits that resolve at once, which the interrupt's stack cannot show.
    const asyncSpin = frames.length > 0 && frames.every((f) => f.includes('node:internal/process/task_queues'));
    // A waiting child uses a few % of a core; a spinning one on a machine shared with other work gets less than a
    // whole core (48% when three test files ran at once on 2 cores), never as little as a fifth.
    const busy =
      share === null ? ''
      : share > BUSY_CPU_SHARE ? `; it was busy (${(share * 100).toFixed(0)}% CPU${asyncSpin ? ', an async loop: awaits that resolve at once, starving the event loop' : ''})`
      : `; it was idle (${(share * 100).toFixed(0)}% CPU: waiting for something that never came)`;
    return { outcome: 'hang', message: `no answer within ${this.opts.deadlineMillis} ms${busy}${frames.length > 0 ? `\n${frames.join('\n')}` : ''}` };
  }

  private discard(child: ChildProcess): void {
    if (this.child === child) this.child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** Stops the child (it exits when its IPC channel closes; SIGKILL if it does not within a second). */
  async close(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null) return;
    const gone = exited(child);
    if (child.connected) child.disconnect();
    await Promise.race([gone, delay(1000)]);
    child.kill('SIGKILL');
  }
}
