/**
 * Storage policies: which failures are retried and how long to wait, endpoint credentials, S3 error messages; every
 * command that reads a store or an input takes the storage options, as the README says.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { ExitCode } from '../../src/exit-codes.js';
import { ROOT } from '../helpers/cli.js';
import { backoffMillis, isTransient, HttpStatusError } from '../../src/storage/retry.js';
import { explainS3Error, splitEndpoint } from '../../src/storage/s3-client.js';

describe('retry policy and endpoints', () => {
  it('backs off exponentially with jitter, capped', () => {
    for (let i = 0; i < 50; i++) {
      const d1 = backoffMillis(1, { baseMillis: 100, maxMillis: 1000 });
      const d4 = backoffMillis(4, { baseMillis: 100, maxMillis: 1000 });
      const d9 = backoffMillis(9, { baseMillis: 100, maxMillis: 1000 });
      expect(d1).toBeGreaterThanOrEqual(50);
      expect(d1).toBeLessThanOrEqual(100);
      expect(d4).toBeGreaterThanOrEqual(400);
      expect(d4).toBeLessThanOrEqual(800);
      expect(d9).toBeLessThanOrEqual(1000);
    }
  });

  it('retries throttling, server errors and dead connections, not 403/404', () => {
    expect(isTransient(new HttpStatusError(503, 'SlowDown'))).toBe(true);
    expect(isTransient(new HttpStatusError(429, 'x'))).toBe(true);
    expect(isTransient(new HttpStatusError(404, 'x'))).toBe(false);
    expect(isTransient(new HttpStatusError(403, 'x'))).toBe(false);
    expect(isTransient(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }))).toBe(false);
  });

  it('takes credentials out of an endpoint URL', () => {
    expect(splitEndpoint('http://AK:s%2Fecret@127.0.0.1:9000/')).toEqual({ url: 'http://127.0.0.1:9000', credentials: { accessKeyId: 'AK', secretAccessKey: 's/ecret' } });
    expect(splitEndpoint('https://minio.example:9000')).toEqual({ url: 'https://minio.example:9000' });
  });
});

describe('S3 error messages', () => {
  it('say that the commoncrawl bucket refuses anonymous S3 API calls, and what to do', () => {
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(explainS3Error(denied, 'GetObject', 's3://commoncrawl/crawl-data/CC-MAIN-2024-51/wat.paths.gz').message)
      .toMatch(/refuses anonymous S3 API calls since 2022.*--source https/);
    const noCreds = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(explainS3Error(noCreds, 'GetObject', 's3://commoncrawl/x').message).toMatch(/No AWS credentials were found.*--source https/);
    expect(explainS3Error(noCreds, 'PutObject', 's3://mine/x').message).toMatch(/--s3-endpoint/);
  });
});

describe('storage options of the commands', () => {
  /** Every command that reads or writes an output store or an input; the others touch neither. */
  const WITH_STORAGE = ['extract', 'run', 'resume', 'worker', 'status', 'report', 'cancel', 'cost', 'estimate', 'runs', 'clean'];
  const WITHOUT = ['dashboard', 'fleet up', 'fleet status', 'fleet down'];

  async function help(command: string): Promise<string> {
    let text = '';
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((text += chunk.toString()), done()) });
    expect(await main([...command.split(' '), '--help'], { stdout: sink, stderr: sink })).toBe(ExitCode.Ok);
    return text;
  }

  it('take --s3-endpoint (and only those), and the README\'s command reference lists it for each', async () => {
    for (const c of WITH_STORAGE) expect(await help(c), c).toMatch(/^ {2}--s3-endpoint <url> +S3-compatible endpoint/m);
    for (const c of WITHOUT) expect(await help(c), c).not.toContain('--s3-endpoint');
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    // A command's first row in the reference: its synopsis, then what it does.
    const synopsis = (c: string): string => readme.match(new RegExp(`^\\| \`wikireverse ${c}[ \`](.*?)\` \\|`, 'm'))?.[1] ?? '';
    for (const c of WITH_STORAGE) expect(synopsis(c), c).toContain('[--s3-endpoint URL]');
    for (const c of ['dashboard', 'fleet']) expect(synopsis(c), c).not.toBe('');
    for (const c of ['dashboard', 'fleet']) expect(synopsis(c), c).not.toContain('--s3-endpoint');
  });
});
