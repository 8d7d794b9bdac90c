/**
 * Watches the EC2 instance-metadata service (IMDSv2) for a spot interruption notice
 * (`/latest/meta-data/spot/instance-action`, two minutes before the instance is stopped) or a rebalance
 * recommendation (`/latest/meta-data/events/recommendations/rebalance`, an elevated risk of one). Either is a notice:
 * the worker then hands its files back to the queue and exits.
 */
import fs from 'node:fs';
import { SETTINGS } from '../config/index.js';

export const IMDS_DEFAULT_URL = 'http://169.254.169.254';

export interface SpotNotice {
  readonly kind: 'interruption' | 'rebalance';
  /** The action (`terminate`, `stop`, `hibernate`) and when, as IMDS reports them. */
  readonly detail: Record<string, unknown>;
  readonly receivedAt: number;
}

export interface SpotWatcherOptions {
  /** IMDS base URL. @default IMDS_DEFAULT_URL */
  readonly baseUrl: string;
  /** @default SETTINGS.imdsPollMillis.default (AWS suggests every 5 s; the notice comes two minutes ahead) */
  readonly pollMillis?: number;
  readonly onNotice: (n: SpotNotice) => void;
  readonly onError?: (err: Error) => void;
}

/** Whether this process runs on EC2 (the hypervisor says so), so IMDS is there to be polled. */
export function onEc2(): boolean {
  for (const f of ['/sys/devices/virtual/dmi/id/sys_vendor', '/sys/devices/virtual/dmi/id/board_asset_tag', '/sys/hypervisor/uuid']) {
    try {
      const s = fs.readFileSync(f, 'utf8').trim();
      if (/^Amazon EC2$/i.test(s) || /^i-[0-9a-f]+$/.test(s) || /^ec2/i.test(s)) return true;
    } catch {
      // not readable: not this one
    }
  }
  return false;
}

export class SpotWatcher {
  private timer: NodeJS.Timeout | undefined;
  private token: { value: string; expires: number } | undefined;
  private fired = false;

  constructor(private readonly opts: SpotWatcherOptions) {}

  start(): void {
    const tick = (): void => {
      void this.poll()
        .catch((err: unknown) => this.opts.onError?.(err as Error))
        .finally(() => {
          if (!this.fired && this.timer !== undefined) this.timer = setTimeout(tick, this.opts.pollMillis ?? SETTINGS.imdsPollMillis.default);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async imdsToken(): Promise<string> {
    if (this.token && this.token.expires > Date.now()) return this.token.value;
    const res = await fetch(`${this.opts.baseUrl}/latest/api/token`, {
      method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '21600' }, signal: AbortSignal.timeout(2000),
    });
    if (!res.ok) throw new Error(`IMDS token request failed: HTTP ${res.status}`);
    this.token = { value: await res.text(), expires: Date.now() + 21_000_000 };
    return this.token.value;
  }

  private async get(path: string): Promise<Record<string, unknown> | null> {
    const token = await this.imdsToken();
    const res = await fetch(`${this.opts.baseUrl}${path}`, { headers: { 'X-aws-ec2-metadata-token': token }, signal: AbortSignal.timeout(2000) });
    if (res.status === 404) return null;
    if (res.status === 401) this.token = undefined;
    if (!res.ok) throw new Error(`IMDS ${path}: HTTP ${res.status}`);
    const text = await res.text();
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { raw: text };
    }
  }

  /** One look at IMDS; fires `onNotice` once. */
  async poll(): Promise<SpotNotice | null> {
    if (this.fired) return null;
    const action = await this.get('/latest/meta-data/spot/instance-action');
    const rebalance = action ? null : await this.get('/latest/meta-data/events/recommendations/rebalance');
    const detail = action ?? rebalance;
    if (!detail) return null;
    this.fired = true;
    const notice: SpotNotice = { kind: action ? 'interruption' : 'rebalance', detail, receivedAt: Date.now() };
    this.opts.onNotice(notice);
    return notice;
  }
}

export interface LeaveOptions {
  readonly baseUrl: string;
  readonly pollMillis: number;
  readonly log: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
  /** Called at once with the reason (for /healthz). */
  readonly onLeaving: (reason: string) => void;
  /** Called when the files are back in the queue and the worker is closed. */
  readonly onDone: (handedBack: number) => void;
}

/** Polls IMDS; on a notice, hands the worker's files back to the queue and closes it. */
export function leaveOnSpotNotice(worker: { handBack(reason: string): Promise<number> }, o: LeaveOptions): SpotWatcher {
  let errors = 0;
  const watcher = new SpotWatcher({
    baseUrl: o.baseUrl, pollMillis: o.pollMillis,
    onError: (err) => {
      if (errors++ % 30 === 0) o.log.warn({ err: err.message, imds: o.baseUrl }, 'instance metadata not answering; still watching for spot notices');
    },
    onNotice: (n) => {
      const reason = `spot ${n.kind} notice`;
      o.onLeaving(reason);
      o.log.info({ notice: n.kind, detail: n.detail }, `${reason}: handing files back to the queue and exiting`);
      void worker.handBack(reason).then(
        (count) => {
          o.log.info({ handedBack: count, millis: Date.now() - n.receivedAt }, 'files handed back');
          o.onDone(count);
        },
        (err: unknown) => {
          o.log.warn({ err: (err as Error).message }, 'handing files back failed; they will be retried after their locks expire');
          o.onDone(0);
        },
      );
    },
  });
  watcher.start();
  return watcher;
}
