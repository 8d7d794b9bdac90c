/**
 * The reader's heartbeat: beats, byte offset, records and phase of a file's reading, shared between the thread that
 * reads the file (file-thread.ts) and the watchdog that watches it (file-sandbox.ts) through shared memory: the
 * watchdog reads it without the reader's event loop, so a reader stuck in a loop cannot hide that it is stuck.
 */

const HEARTBEAT = 0;
const OFFSET = 1;
const TICKS = 2;
const PHASE = 3;

export type FilePhase = 'idle' | 'reading' | 'writing';
const PHASES: readonly FilePhase[] = ['idle', 'reading', 'writing'];

export class ReaderHeartbeat {
  private readonly slots: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4 * Float64Array.BYTES_PER_ELEMENT)) {
    this.slots = new Float64Array(buffer);
  }

  /** The reader's event loop turned (a timer in the reading thread). */
  beat(): void {
    this.slots[HEARTBEAT] = (this.slots[HEARTBEAT] ?? 0) + 1;
  }

  /** Input bytes consumed so far, and one more step of work (a batch of records read, a row written). */
  reading(compressedOffset: number): void {
    this.slots[OFFSET] = compressedOffset;
    this.slots[TICKS] = (this.slots[TICKS] ?? 0) + 1;
  }

  phase(p: FilePhase): void {
    this.slots[PHASE] = PHASES.indexOf(p);
    this.slots[TICKS] = (this.slots[TICKS] ?? 0) + 1;
  }

  /** A copy of the counters now (for the watchdog to compare with the next one). */
  snapshot(): { readonly heartbeat: number; readonly offset: number; readonly ticks: number; readonly phase: FilePhase } {
    return {
      heartbeat: this.slots[HEARTBEAT] ?? 0,
      offset: this.slots[OFFSET] ?? 0,
      ticks: this.slots[TICKS] ?? 0,
      phase: PHASES[this.slots[PHASE] ?? 0] ?? 'idle',
    };
  }

  reset(): void {
    this.slots[OFFSET] = 0;
    this.phase('idle');
  }
}
