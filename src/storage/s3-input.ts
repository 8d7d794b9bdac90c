/** Inputs on S3 (s3://commoncrawl/... or any bucket): GetObject streamed, bodies resumed by Range requests. */
import { Readable } from 'node:stream';
import { redactUrl } from '../log/index.js';
import { ResumableReadable, type OpenedBody } from './resumable.js';
import { explainS3Error, parseS3Url, s3Sdk } from './s3-client.js';
import type { IoSession } from './io-session.js';

/**
 * One GetObject from `offset` (the SDK retries it): each attempt must have its response headers within the first-byte
 * deadline (the client's connect deadline applies too); `signal` aborts it, retries included.
 */
async function getFrom(location: string, offset: number, etag: string | undefined, io: IoSession, signal: AbortSignal, end?: number): Promise<OpenedBody> {
  const { bucket, key } = parseS3Url(location);
  try {
    const res = await io.s3Client().send(
      new (s3Sdk().GetObjectCommand)({
        Bucket: bucket, Key: key,
        ...(offset > 0 || end !== undefined ? { Range: `bytes=${offset}-${end ?? ''}` } : {}),
        ...(offset > 0 && etag ? { IfMatch: etag } : {}),
      }),
      { abortSignal: signal, requestTimeout: io.settings.firstByteTimeoutMillis },
    );
    if (!(res.Body instanceof Readable)) throw new Error('the response has no readable body');
    const total = /\/(\d+)\s*$/.exec(res.ContentRange ?? '');
    return {
      stream: res.Body,
      totalBytes: total ? Number(total[1]) : res.ContentLength !== undefined ? res.ContentLength + offset : undefined,
      etag: res.ETag,
      skipBytes: (offset > 0 || end !== undefined) && !res.ContentRange ? offset : 0,
    };
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw explainS3Error(err, 'GetObject', location);
  }
}

/** Opens an s3:// object (or `range` of it: [offset, length]) as a byte stream that resumes transparently (the SDK retries each request). */
export function openS3Input(location: string, io: IoSession, range?: readonly [number, number]): ResumableReadable {
  const s = io.settings;
  return new ResumableReadable({
    describe: redactUrl(location),
    maxResumes: s.resumes,
    idleTimeoutMillis: s.idleTimeoutMillis,
    giveUpMillis: s.giveUpMillis,
    backoff: { baseMillis: s.backoffMillis, maxMillis: s.maxBackoffMillis },
    ...(range ? { start: range[0], length: range[1] } : {}),
    open: (offset, etag, signal) => getFrom(location, offset, etag, io, signal, range ? range[0] + range[1] - 1 : undefined),
    onBytes: (n) => io.counters.add('s3', 'bytes_in', n),
    onResume: () => io.counters.add('s3', 'resumes'),
  });
}
