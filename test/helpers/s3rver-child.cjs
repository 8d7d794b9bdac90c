// A loopback S3 server (s3rver) for tests, run as a child process with `node --openssl-legacy-provider`
// (s3rver signs truncated ListObjectsV2 continuation tokens with a cipher newer OpenSSL only has in the legacy provider).
// Usage: node --openssl-legacy-provider s3rver-child.cjs <dataDir> <bucket>...; prints {"port":N} on stdout when ready.
'use strict';
const S3rver = require('s3rver');

const [dir, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  // Tests run with made-up secrets (to check they never leak): accept any well-formed signature.
  allowMismatchedSignatures: true,
  vhostBuckets: false,
  configureBuckets: buckets.map((name) => ({ name })),
});
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\n'),
  (err) => {
    process.stderr.write(`s3rver failed to start: ${err.stack || err}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
