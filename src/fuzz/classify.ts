/** What the reader child's answer means: an expected outcome (ok, input error) or a finding. Pure. */
import { MAX_COUNTERS_BYTES, type ChildMessage, type Outcome } from './protocol.js';

export interface Classified {
  readonly outcome: Outcome;
  /** For findings: what happened, in one paragraph (a stack's top frames for crashes). */
  readonly message: string;
  /** For input errors: the class name of the error the InputError wraps. */
  readonly cause?: string;
}

/** The InputError message's required part: `... is unreadable at byte offset N: ...`. */
const OFFSET = /is unreadable at byte offset \d+:/;

/** The first `frames` "at ..." lines of a stack, one per line. */
export function topFrames(stack: string, frames = 8): string {
  return stack
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at '))
    .slice(0, frames)
    .join('\n');
}

export function classifyResult(answer: Extract<ChildMessage, { type: 'result' }>, maxRssMb: number): Classified {
  if (answer.rssMb > maxRssMb) {
    return { outcome: 'memory', message: `child RSS ${answer.rssMb.toFixed(0)} MB after the read (limit ${maxRssMb} MB)` };
  }
  switch (answer.status) {
    case 'ok':
      if (answer.countersBytes > MAX_COUNTERS_BYTES) {
        return { outcome: 'counters-bloat', message: `counters JSON is ${answer.countersBytes} bytes (limit ${MAX_COUNTERS_BYTES})` };
      }
      return { outcome: 'ok', message: '' };
    case 'input-error':
      if (!OFFSET.test(answer.message)) return { outcome: 'no-offset', message: answer.message };
      return { outcome: 'input-error', message: answer.message, cause: answer.cause };
    case 'error':
      return { outcome: 'crash', message: `${answer.name}: ${answer.message}\n${topFrames(answer.stack)}` };
    case 'mismatch':
      return { outcome: 'inflate-mismatch', message: answer.message };
  }
}

export function classifyFatal(answer: Extract<ChildMessage, { type: 'fatal' }>): Classified {
  return { outcome: 'crash', message: `${answer.origin}: ${answer.name}: ${answer.message}\n${topFrames(answer.stack)}` };
}

/** The child exited while reading (no answer): V8 running out of heap is a memory finding, anything else a crash. */
export function classifyExit(code: number | null, signal: string | null, stderrTail: string): Classified {
  const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
  const tail = stderrTail.trim().split('\n').slice(-12).join('\n');
  if (/heap out of memory|Allocation failed|ERR_BUFFER_TOO_LARGE|Array buffer allocation failed/i.test(stderrTail)) {
    return { outcome: 'memory', message: `the child ran out of memory (${how})\n${tail}` };
  }
  return { outcome: 'crash', message: `the child died while reading (${how})${tail ? `\n${tail}` : ''}` };
}
