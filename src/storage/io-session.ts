/**
 * The storage layer's settings and per-job state: one `IoSession` per file job (worker) or per coordinator run.
 * It holds the request counters, a keep-alive agent for https inputs and, made on first use, the S3 client.
 * `close()` releases the sockets.
 */
import http from 'node:http';
import https from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../config/index.js';
import { IoCounters } from './io-counters.js';
import { createS3Client } from './s3-client.js';
import { ioSettingsFromConfig, type IoSettings } from './io-settings.js';

export const DEFAULT_IO_SETTINGS: IoSettings = {
  s3Region: 'us-east-1', s3ForcePathStyle: false, attempts: 10, backoffMillis: 500, maxBackoffMillis: 30_000, resumes: 20,
  idleTimeoutMillis: 60_000,
};

export class IoSession {
  readonly counters = new IoCounters();
  private s3: S3Client | undefined;
  private agents: { http: http.Agent; https: https.Agent } | undefined;

  constructor(readonly settings: IoSettings = DEFAULT_IO_SETTINGS) {}

  s3Client(): S3Client {
    this.s3 ??= createS3Client(this.settings, this.counters);
    return this.s3;
  }

  agentFor(protocol: string): http.Agent {
    this.agents ??= { http: new http.Agent({ keepAlive: true, maxSockets: 16 }), https: new https.Agent({ keepAlive: true, maxSockets: 16 }) };
    return protocol === 'https:' ? this.agents.https : this.agents.http;
  }

  close(): void {
    this.s3?.destroy();
    this.s3 = undefined;
    this.agents?.http.destroy();
    this.agents?.https.destroy();
    this.agents = undefined;
  }
}

let processSettings: IoSettings | undefined;
let processSession: IoSession | undefined;

/**
 * Sets the storage settings of this process (the CLI does, once, from its flags and the configuration): used by
 * callers that do not pass an `IoSession` (`openStore(out)`, `openInput(path)`).
 */
export function configureStorage(settings: IoSettings): void {
  processSettings = settings;
  processSession?.close();
  processSession = undefined;
}

/** The process's settings: as configured, else from the configuration table (environment and defaults). */
export function processIoSettings(): IoSettings {
  processSettings ??= ioSettingsFromConfig(loadConfig());
  return processSettings;
}

/** A shared session for callers without their own (its counters are not attributed to any file or run). */
export function defaultIoSession(): IoSession {
  processSession ??= new IoSession(processIoSettings());
  return processSession;
}
