/**
 * A real S3 protocol server on loopback for tests: s3rver in a child process, used through @aws-sdk/client-s3.
 * Quirks handled here: checksums only when required (else streamed uploads keep their aws-chunked framing),
 * path-style addressing, and `--openssl-legacy-provider` in the server process (truncated ListObjectsV2).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ROOT } from './cli.js';

/** s3rver's built-in access key; the secret may be anything (mismatched signatures are accepted). */
export const S3_ACCESS_KEY = 'S3RVER';

export interface TestS3 {
  readonly endpoint: string;
  readonly port: number;
  readonly client: S3Client;
  /** Environment for a CLI child that talks to this server. */
  readonly env: Record<string, string>;
  put(bucket: string, key: string, body: Buffer | string): Promise<void>;
  get(bucket: string, key: string): Promise<Buffer>;
  list(bucket: string, prefix: string): Promise<string[]>;
  /** Downloads every object under `prefix` into `dir` (keeping the key paths); returns the local files. */
  download(bucket: string, prefix: string, dir: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startS3(dataDir: string, buckets: string[]): Promise<TestS3> {
  await fsp.mkdir(dataDir, { recursive: true });
  const child: ChildProcess = spawn(
    process.execPath,
    ['--openssl-legacy-provider', path.join(ROOT, 'test/helpers/s3rver-child.cjs'), dataDir, ...buckets],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('s3rver did not start within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(t);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1', endpoint, forcePathStyle: true,
    credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: 'test-secret' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const list = async (bucket: string, prefix: string): Promise<string[]> => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(r.Contents ?? []).map((o) => o.Key ?? ''));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  };
  const get = async (bucket: string, key: string): Promise<Buffer> => {
    const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await r.Body!.transformToByteArray());
  };
  return {
    endpoint, port, client,
    env: { AWS_ACCESS_KEY_ID: S3_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: 'test-secret', AWS_EC2_METADATA_DISABLED: 'true' },
    put: async (bucket, key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    get, list,
    download: async (bucket, prefix, dir) => {
      const files: string[] = [];
      for (const key of await list(bucket, prefix)) {
        const file = path.join(dir, key);
        await fsp.mkdir(path.dirname(file), { recursive: true });
        await fsp.writeFile(file, await get(bucket, key));
        files.push(file);
      }
      return files;
    },
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    },
  };
}
