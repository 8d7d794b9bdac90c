/**
 * The storage layer's settings: what every `IoSession` (and so every S3 client, input and output store) is made with.
 * They come from the configuration table (`src/config`) through `ioSettingsFromConfig`, and from nowhere else: their
 * defaults are the table's.
 */
import type { Config } from '../config/index.js';

export interface IoSettings {
  /** S3-compatible endpoint for every s3:// location (MinIO, R2, Ceph); unset: AWS. May carry `KEY:SECRET@`. */
  readonly s3Endpoint?: string | undefined;
  readonly s3Region: string;
  /** Path-style bucket addressing; always on with `s3Endpoint`. */
  readonly s3ForcePathStyle: boolean;
  /** Requests per operation (first included) before a transient failure is final. */
  readonly attempts: number;
  readonly backoffMillis: number;
  readonly maxBackoffMillis: number;
  /** Range-request resumes per response body. */
  readonly resumes: number;
  /** A response that sends nothing for this long is abandoned (and resumed). */
  readonly idleTimeoutMillis: number;
  /** A connection not established within this long is abandoned (a transient failure: retried). */
  readonly connectTimeoutMillis: number;
  /** An input request that gets no response headers within this long is abandoned (retried). */
  readonly firstByteTimeoutMillis: number;
  /** An input that delivers no byte for this long, through all its retries and resumes, fails. */
  readonly giveUpMillis: number;
  /**
   * Inputs over http(s) are read from public addresses only (a listing fetched over the network named them): see
   * address-policy.ts. Set per run by the coordinator, never by a setting.
   */
  readonly publicAddressesOnly?: boolean | undefined;
}

/** The storage settings of the configuration, with an optional `--s3-endpoint` that replaces the configured one. */
export function ioSettingsFromConfig(c: Config, s3Endpoint?: string): IoSettings {
  return {
    s3Endpoint: s3Endpoint ?? c.s3Endpoint, s3Region: c.s3Region, s3ForcePathStyle: c.s3ForcePathStyle, attempts: Math.max(1, c.ioAttempts),
    backoffMillis: c.ioBackoffMillis, maxBackoffMillis: c.ioMaxBackoffMillis, resumes: c.ioResumes, idleTimeoutMillis: Math.max(1, c.ioIdleTimeoutMillis),
    connectTimeoutMillis: c.ioConnectTimeoutMillis, firstByteTimeoutMillis: c.ioFirstByteTimeoutMillis, giveUpMillis: c.ioGiveUpMillis,
  };
}
