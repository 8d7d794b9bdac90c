/** Inputs on S3 (s3://commoncrawl/... or any bucket): GetObject streamed, bodies resumed by Range requests. */
import { Readable } from 'node:stream';
import { redactUrl } from '../log/index.js';
import { ResumableReadable, type OpenedBody } from './resumable.js';
import { explainS3Error, parseS3Url, s3Sdk } from './s3-client.js';
import type { IoSession } from './io-session.js';

async function getFrom(location: string, offset: number, etag: string | undefined, io: IoSession): Promise<OpenedBody> {
  const { bucket, key } = parseS3Url(location);
  try {
    const res = await io.s3Client().send(
      new (s3Sdk().GetObjectCommand)({
        Bucket: bucket, Key: key,
        ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}),
        ...(offset > 0 && etag ? { IfMatch: etag } : {}),
      }),
    );
    if (!(res.Body instanceof Readable)) throw new Error('the response has no readable body');
    const total = /\/(\d+)\s*$/.exec(res.ContentRange ?? '');
    return {
      stream: res.Body,
      totalBytes: total ? Number(total[1]) : res.ContentLength !== undefined ? res.ContentLength + offset : undefined,
      etag: res.ETag,
      skipBytes: offset > 0 && !res.ContentRange ? offset : 0,
    };
  } catch (err) {
    throw explainS3Error(err, 'GetObject', location);
  }
}

/** Opens an s3:// object as a byte stream that resumes transparently (the SDK retries each request). */
export function openS3Input(location: string, io: IoSession): ResumableReadable {
  const s = io.settings;
  return new ResumableReadable({
    describe: redactUrl(location),
    maxResumes: s.resumes,
    idleTimeoutMillis: s.idleTimeoutMillis,
    backoff: { baseMillis: s.backoffMillis, maxMillis: s.maxBackoffMillis },
    open: (offset, etag) => getFrom(location, offset, etag, io),
    onBytes: (n) => io.counters.add('s3', 'bytes_in', n),
    onResume: () => io.counters.add('s3', 'resumes'),
  });
}
