/**
 * JSON-lines logging to stderr (pino). Every line carries the context it was created with
 * (run id, job id, input file). Secrets never go into log fields: URLs are redacted with `redactUrl`.
 */
import fs from 'node:fs';
import { pino, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { UsageError } from '../exit-codes.js';
import { LOG_LEVELS, type LogLevel } from '../config/index.js';

export type { Logger, LogLevel };

export interface LogOutput {
  /** Human-readable lines (pino-pretty) instead of JSON lines; for a terminal. @default false */
  readonly pretty?: boolean;
  /** Where lines go instead of stderr (e.g. above a progress bar). */
  readonly write?: (line: string) => void;
}

export function createLogger(level: string, bindings: Record<string, unknown> = {}, out: LogOutput = {}): Logger {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level ${JSON.stringify(level)}: expected one of ${LOG_LEVELS.join(', ')}`);
  const options = { level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime };
  if (!out.pretty && !out.write) return pino(options, pino.destination({ dest: 2, sync: true }));
  const write = out.write ?? ((line: string) => fs.writeSync(2, line));
  const format = out.pretty
    ? prettyFactory({ colorize: Boolean(process.stderr.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
    : (line: string) => line;
  return pino(options, { write: (line: string) => write(format(line)) });
}

/** Query parameters whose values are secrets (`?password=` of a Redis URL, presigned URLs' signatures, tokens, keys). */
const SECRET_PARAM = /pass|secret|token|signature|credential|key|auth|sig$/i;

/**
 * Removes credentials from a URL so it can be logged or reported: the userinfo (everything between `scheme://` and
 * the last `@`, whatever it holds: a secret with `/`, `#` or `?` in it is not parsed as a host) and the values of
 * secret query parameters. What does not parse as a URL keeps only what cannot be a secret's part.
 */
export function redactUrl(url: string): string {
  // Userinfo first, on the raw text: `http://KEY:se/cret@host` parses as host KEY, port "se" (or fails).
  const raw = /^([a-z][a-z0-9+.-]*:\/\/)([^\s]*)@/i.exec(url);
  const text = raw ? `${raw[1]}***@${url.slice(raw[0].length)}` : url;
  try {
    const u = new URL(text);
    let secret = false;
    for (const key of [...u.searchParams.keys()]) {
      if (SECRET_PARAM.test(key)) {
        u.searchParams.set(key, '***');
        secret = true;
      }
    }
    return secret ? u.toString() : text;
  } catch {
    return text.replace(/([?&])([^=&#]*)=[^&#]*/g, (param, sep: string, key: string) => (SECRET_PARAM.test(key) ? `${sep}${key}=***` : param));
  }
}

/** 3725000 -> "1h02m05s", 65000 -> "1m05s", 4200 -> "4.2s"; null or not finite -> "-". */
export function duration(millis: number | null): string {
  if (millis === null || !Number.isFinite(millis)) return '-';
  const s = Math.max(0, millis / 1000);
  if (s < 60) return `${s.toFixed(1)}s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${sec}s` : `${m}m${sec}s`;
}

/** C0 and C1 control characters (and DEL): what must not reach a terminal from text a run did not write itself. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;

export function hasControlChars(s: string): boolean {
  return s.search(CONTROL_CHARS) !== -1;
}

/** DEL, C1 and the two line separators: JSON leaves them raw, a terminal acts on C1 (U+009B is CSI, like ESC [). */
const JSON_RAW_CONTROLS = /[\u007f-\u009f\u2028\u2029]/g;

/**
 * `JSON.stringify(value, null, space)` with DEL, the C1 controls and U+2028/U+2029 written as \u escapes: the same
 * JSON value, safe to print (JSON.stringify escapes C0 itself). For JSON that carries text a run did not write.
 */
export function terminalJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(JSON_RAW_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `s` with each control character replaced by a space. */
export function withoutControlChars(s: string): string {
  return s.replace(CONTROL_CHARS, ' ');
}
