/**
 * Secrets in URLs never reach a log, an error or a report (issue 24, item 5): every URL form the audit printed, and the
 * forms around them. Each secret is a distinct marker, so a leak of any piece of one shows.
 */
import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/log/index.js';

describe('redactUrl', () => {
  const cases: Array<[string, string]> = [
    ['redis://:s3cr3t@10.0.0.5:6379', 'redis://***@10.0.0.5:6379'],
    ['redis://default:s3cr3t@10.0.0.5:6379/0', 'redis://***@10.0.0.5:6379/0'],
    // An S3 secret with `/` (AWS secrets often have one): no longer parsed as host KEY, port "se".
    ['http://AKIDEXAMPLE:wJalr/XUtnFEMI/K7MDENG@127.0.0.1:9000', 'http://***@127.0.0.1:9000'],
    ['http://AKIDEXAMPLE:12345/XUtnFEMI@127.0.0.1:9000', 'http://***@127.0.0.1:9000'],
    ['https://user:p@ss#w?rd@minio.example:9000/bucket', 'https://***@minio.example:9000/bucket'],
    // Query parameters that carry a secret.
    ['redis://10.0.0.5:6379/?password=s3cr3t', 'redis://10.0.0.5:6379/?password=***'],
    ['rediss://10.0.0.5:6380?db=1&pass=s3cr3t', 'rediss://10.0.0.5:6380?db=1&pass=***'],
    ['https://bucket.s3.amazonaws.com/k?X-Amz-Signature=abcdef&X-Amz-Credential=AKIDEXAMPLE%2F2026&x=1', 'https://bucket.s3.amazonaws.com/k?X-Amz-Signature=***&X-Amz-Credential=***&x=1'],
    ['https://h.example/p?access_token=s3cr3t', 'https://h.example/p?access_token=***'],
    // Nothing secret: unchanged.
    ['https://data.commoncrawl.org/crawl-data/CC-MAIN-2024-22/warc.paths.gz', 'https://data.commoncrawl.org/crawl-data/CC-MAIN-2024-22/warc.paths.gz'],
    ['s3://commoncrawl/crawl-data/x.warc.gz', 's3://commoncrawl/crawl-data/x.warc.gz'],
    ['/local/path/file.warc.gz', '/local/path/file.warc.gz'],
  ];
  for (const [url, want] of cases) {
    it(url.replace(/s3cr3t|wJalr\/XUtnFEMI\/K7MDENG|p@ss#w\?rd/g, '<secret>'), () => {
      expect(redactUrl(url)).toBe(want);
      for (const secret of ['s3cr3t', 'wJalr', 'XUtnFEMI', 'K7MDENG', '12345', 'p@ss', 'abcdef', 'AKIDEXAMPLE']) expect(redactUrl(url)).not.toContain(secret);
    });
  }
});
