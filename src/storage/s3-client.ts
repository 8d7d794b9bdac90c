/**
 * The S3 client of an `IoSession`: AWS or any S3-compatible endpoint, the standard AWS credential chain (or
 * `KEY:SECRET@` in the endpoint URL), jittered exponential retries by the SDK, and a middleware that counts
 * every request attempt and the bytes sent. Also: s3:// URL parsing and error messages that say what to do.
 */
import { createRequire } from 'node:module';
import type { S3Client } from '@aws-sdk/client-s3';
import { redactUrl } from '../log/index.js';
import type { IoCounters } from './io-counters.js';
import type { IoSettings } from './io-settings.js';

export interface S3Location {
  readonly bucket: string;
  /** Key or key prefix, without a leading `/`. */
  readonly key: string;
}

export function parseS3Url(location: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(location);
  if (!m || !m[1]) throw new Error(`Not an S3 URL: ${redactUrl(location)} (expected s3://bucket/key)`);
  return { bucket: m[1], key: m[2] ?? '' };
}

/** The endpoint without its credentials, and the credentials it carried. */
export function splitEndpoint(endpoint: string): { url: string; credentials?: { accessKeyId: string; secretAccessKey: string } } {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new Error(`Invalid S3 endpoint ${redactUrl(endpoint)}: expected a URL such as http://127.0.0.1:9000`);
  }
  const accessKeyId = decodeURIComponent(u.username);
  const secretAccessKey = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  const url = u.toString().replace(/\/$/, '');
  return accessKeyId && secretAccessKey ? { url, credentials: { accessKeyId, secretAccessKey } } : { url };
}

const REQUEST_KIND: Record<string, string> = {
  GetObjectCommand: 'get', PutObjectCommand: 'put', ListObjectsV2Command: 'list', HeadObjectCommand: 'head',
  DeleteObjectsCommand: 'delete', DeleteObjectCommand: 'delete', CreateMultipartUploadCommand: 'multipart_create',
  UploadPartCommand: 'multipart_parts', CompleteMultipartUploadCommand: 'multipart_complete',
  AbortMultipartUploadCommand: 'multipart_abort',
};

/**
 * The AWS SDK's S3 module, loaded on first use (0.13 CPU-s): commands that never touch S3 (`extract` on local files,
 * `--help`) do not pay for it.
 */
export function s3Sdk(): typeof import('@aws-sdk/client-s3') {
  return createRequire(import.meta.url)('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
}

/** A request other than an input GET (an upload part, a listing) may take this many first-byte deadlines to be answered. */
const OTHER_REQUEST_TIMEOUT_FACTOR = 6;

export function createS3Client(settings: IoSettings, counters: IoCounters): S3Client {
  const { S3Client } = s3Sdk();
  const endpoint = settings.s3Endpoint ? splitEndpoint(settings.s3Endpoint) : undefined;
  const client = new S3Client({
    region: settings.s3Region,
    ...(endpoint ? { endpoint: endpoint.url } : {}),
    ...(endpoint?.credentials ? { credentials: endpoint.credentials } : {}),
    forcePathStyle: settings.s3ForcePathStyle || endpoint !== undefined,
    maxAttempts: settings.attempts,
    retryMode: 'standard',
    // Every request: connected within the connect deadline, answered (headers) within OTHER_REQUEST_TIMEOUT_FACTOR
    // first-byte deadlines (uploads send their body first); input GETs pass the first-byte deadline itself.
    requestHandler: {
      connectionTimeout: settings.connectTimeoutMillis,
      requestTimeout: settings.firstByteTimeoutMillis * OTHER_REQUEST_TIMEOUT_FACTOR,
      throwOnRequestTimeout: true,
    },
    // Checksums only where S3 requires them: S3-compatible stores differ in what they accept, and streamed
    // uploads with checksum trailers use aws-chunked framing that some of them store verbatim.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  // After the retry middleware: runs once per attempt.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string | undefined> } | undefined;
      const headers = request?.headers ?? {};
      counters.add('s3', REQUEST_KIND[context.commandName ?? ''] ?? 'other');
      const attempt = /attempt=(\d+)/.exec(headers['amz-sdk-request'] ?? '');
      if (attempt && Number(attempt[1]) > 1) counters.add('s3', 'retries');
      const length = Number(headers['content-length'] ?? 0);
      if (length > 0) counters.add('s3', 'bytes_out', length);
      return next(args);
    },
    { step: 'deserialize', name: 'wikireverseIoCounters', override: true },
  );
  return client;
}

/** An S3 error turned into a message that says what happened and what to do. */
export function explainS3Error(err: unknown, action: string, location: string): Error {
  const e = err as Error & { name?: string; $metadata?: { httpStatusCode?: number } };
  const shown = redactUrl(location);
  const status = e.$metadata?.httpStatusCode;
  const reason = `${e.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${e.message}`;
  const commonCrawl = /^s3:\/\/commoncrawl\//i.test(location);
  let hint = '';
  if (e.name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message)) {
    hint = commonCrawl
      ? ' No AWS credentials were found, and the commoncrawl bucket refuses anonymous S3 API calls since 2022: configure AWS credentials (any AWS account; AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE) or read over https with --source https.'
      : ' No AWS credentials were found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or put KEY:SECRET@ in --s3-endpoint.';
  } else if (status === 403 || e.name === 'AccessDenied') {
    hint = commonCrawl
      ? ' The commoncrawl bucket refuses anonymous S3 API calls since 2022 and needs signed requests from an AWS account: check your AWS credentials, or read over https with --source https.'
      : ' Access denied: check the credentials and the bucket policy.';
  } else if (e.name === 'NoSuchBucket') {
    hint = ' The bucket does not exist (with an S3-compatible store, check --s3-endpoint).';
  }
  return new Error(`S3 ${action} ${shown} failed: ${reason}.${hint}`, { cause: err });
}

export function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/**
 * Whether the standard AWS credential chain (env, profile, SSO, container or instance role) yields credentials
 * within `timeoutMillis`. Decides the default source of `--crawl`.
 */
export async function hasAwsCredentials(settings: IoSettings, timeoutMillis = 3000): Promise<boolean> {
  if (settings.s3Endpoint && splitEndpoint(settings.s3Endpoint).credentials) return true;
  const client = new (s3Sdk().S3Client)({ region: settings.s3Region, maxAttempts: 1 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      client.config.credentials().then((c) => Boolean(c.accessKeyId), () => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMillis))),
    ]);
    return found;
  } finally {
    if (timer) clearTimeout(timer);
    client.destroy();
  }
}
