/**
 * A worker's Prometheus metrics (prom-client), served on /metrics: files, records, pages, links, bytes, durations,
 * errors, plus the Node.js process metrics (CPU, memory, event loop lag).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FileResult } from '../storage/index.js';

export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly files = new Counter({ name: 'wikireverse_files_total', help: 'Input files ended, by outcome (committed, failed, handed_back)', labelNames: ['outcome'], registers: [this.registry] });
  private readonly records = new Counter({ name: 'wikireverse_records_total', help: 'WARC/WAT records read', registers: [this.registry] });
  private readonly pages = new Counter({ name: 'wikireverse_pages_total', help: 'Pages (HTML responses or WAT metadata) examined', registers: [this.registry] });
  private readonly links = new Counter({ name: 'wikireverse_links_total', help: 'Reverse links written (rows)', registers: [this.registry] });
  private readonly bytes = new Counter({ name: 'wikireverse_input_bytes_total', help: 'Compressed input bytes read', registers: [this.registry] });
  private readonly errors = new Counter({ name: 'wikireverse_errors_total', help: 'File attempts that failed (retried or failed for good)', registers: [this.registry] });
  private readonly cpu = new Counter({ name: 'wikireverse_file_cpu_seconds_total', help: 'CPU seconds spent on committed files', registers: [this.registry] });
  private readonly active = new Gauge({ name: 'wikireverse_active_files', help: 'Files being processed now', registers: [this.registry] });
  private readonly lastProgress = new Gauge({ name: 'wikireverse_last_progress_timestamp_seconds', help: 'When a file last started or ended (Unix time)', registers: [this.registry] });
  private readonly inflate = new Gauge({ name: 'wikireverse_inflate_info', help: 'What inflates gzip members (1 for the engine in use: libdeflate, or zlib as the fallback)', labelNames: ['engine'], registers: [this.registry] });
  private readonly duration = new Histogram({
    name: 'wikireverse_file_duration_seconds', help: 'Wall time per file attempt, by outcome', labelNames: ['outcome'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200], registers: [this.registry],
  });

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'wikireverse_worker_' });
  }

  /** The inflate this worker uses (src/warc/inflate.ts), e.g. "libdeflate 1.14". */
  inflateEngine(name: string): void {
    this.inflate.set({ engine: name }, 1);
  }

  fileStarted(): void {
    this.active.inc();
    this.lastProgress.setToCurrentTime();
  }

  fileCommitted(r: FileResult, seconds: number): void {
    this.fileEnded('committed', seconds);
    this.records.inc(r.counters.records ?? 0);
    this.pages.inc(r.counters.pages ?? 0);
    this.links.inc(r.rows);
    this.bytes.inc(r.compressedBytes);
    this.cpu.inc(r.cpuSeconds ?? 0);
  }

  fileEnded(outcome: 'committed' | 'failed' | 'handed_back', seconds: number): void {
    this.active.dec();
    this.lastProgress.setToCurrentTime();
    this.files.inc({ outcome });
    this.duration.observe({ outcome }, seconds);
    if (outcome === 'failed') this.errors.inc();
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
