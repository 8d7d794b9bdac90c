/**
 * What the coordinator takes from a listing and what a worker takes from Redis (issue 12, findings 4 and 5; issue 13's
 * wrong listings): a WARC or a README given as a listing is refused; a listing fetched over the network may not name
 * local files or private addresses (the instance metadata service among them) unless trusted; a task is accepted only
 * as the run's coordinator writes it, for the run whose queue it came from, writing under the run's output location.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkListedInputs, checkListedNames, readListing, toInputFiles } from '../../src/coordinator/listing.js';
import { IoSession, isPrivateHost, readAll } from '../../src/storage/index.js';
import { checkFileTask, checkReduceTask } from '../../src/redis/index.js';
import { LocalStore } from '../../src/storage/local-store.js';
import { tempDir } from '../helpers/fixtures.js';
import { testIoSession, testIoSettings } from '../helpers/storage.js';

const SAMPLES = path.resolve(import.meta.dirname, '../fixtures/samples');
const ROOT = path.resolve(import.meta.dirname, '../..');

describe('listings', () => {
  it('refuses a WARC file, a README and binary bytes given as a listing, naming what it is; reads a real one', async () => {
    const dir = await tempDir('listing');
    const io = testIoSession(); // local listings: no request is made
    const warc = path.join(SAMPLES, 'CC-MAIN-2024-22-whirlwind.warc.gz');
    await expect(readListing(warc, io)).rejects.toThrow(/is a WARC\/WAT\/WET file, not a listing of inputs: give its directory or a glob instead/);
    await expect(readListing(path.join(ROOT, 'README.md'), io)).rejects.toThrow(/README\.md is not a listing of inputs: line \d+ is not one path or URL/);
    const binary = path.join(dir, 'random.bin');
    await fsp.writeFile(binary, Buffer.from([0x00, 0x01, 0x02, 0x0a, 0x41]));
    await expect(readListing(binary, io)).rejects.toThrow(/line 1 is not one path/);
    const good = path.join(dir, 'wat.paths.gz');
    await fsp.writeFile(good, zlib.gzipSync('# a comment\ncrawl-data/a.warc.wat.gz\n\ns3://bucket/b.warc.wat.gz\r\n'));
    expect(await readListing(good, io)).toEqual(['crawl-data/a.warc.wat.gz', 's3://bucket/b.warc.wat.gz']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('knows private, loopback, link-local and metadata addresses', () => {
    for (const h of ['localhost', 'a.localhost', '127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '[::1]', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1']) {
      expect(isPrivateHost(h), h).toBe(true);
    }
    for (const h of ['data.commoncrawl.org', '8.8.8.8', '172.32.0.1', '192.169.0.1', '2600::1', 'example.com']) expect(isPrivateHost(h), h).toBe(false);
    // The URL parser turns other spellings of an address into dotted quads first.
    expect(isPrivateHost(new URL('http://2130706433/').hostname)).toBe(true);
    expect(isPrivateHost(new URL('http://0x7f.1/').hostname)).toBe(true);
  });

  it('a listing fetched over the network names only remote objects on public hosts, unless trusted', () => {
    const remote = 'https://data.example.org/crawl/wat.paths';
    const names = (entries: string[], listing: string, trust = false): void => checkListedInputs(toInputFiles(entries, new URL('.', listing).toString()), listing, trust);
    expect(() => names(['a.warc.gz', 's3://bucket/b.warc.gz', 'https://other.example/c.warc.gz'], remote)).not.toThrow();
    expect(() => names(['file:///etc/passwd'], remote)).toThrow(/names file:\/\/\/etc\/passwd, a local file: a listing fetched over the network may name only remote objects/);
    expect(() => names(['/root/secret.warc'], remote)).toThrow(/a local file/);
    expect(() => names(['http://169.254.169.254/latest/meta-data/'], remote)).toThrow(/a private or local address.*--trust-listing/);
    expect(() => names(['http://127.0.0.1:1/x.warc.gz'], remote)).toThrow(/a private or local address/);
    expect(() => names(['http://127.0.0.1:1/x.warc.gz', '/root/x.warc'], remote, true)).not.toThrow();
    // A listing on a private host (a loopback test server, a private mirror) may name that network, never local files.
    expect(() => names(['http://127.0.0.1:9/x.warc.gz', 'y.warc.gz'], 'http://127.0.0.1:9/paths.txt')).not.toThrow();
    expect(() => names(['/etc/passwd'], 'http://127.0.0.1:9/paths.txt')).toThrow(/a local file/);
    // A local listing is the operator's own: anything goes.
    expect(() => checkListedInputs(toInputFiles(['/data/a.warc.gz', 'http://127.0.0.1/b.warc.gz'], '/data'), '/data/listing.txt', false)).not.toThrow();
  });

  it('a public listing naming hosts that resolve to private or local addresses is refused like the addresses themselves (issue 24, finding 4)', async () => {
    const remote = 'https://data.example.org/crawl/wat.paths';
    // Names a resolver answers as DNS would for public names pointed at loopback or the metadata service.
    const answers: Record<string, string[]> = { 'cdn.example.net': ['93.184.215.14'], 'loop.example.net': ['127.0.0.1'], 'meta.example.net': ['93.184.215.14', '169.254.169.254'], 'six.example.net': ['::1'] };
    const asked: string[] = [];
    const resolve = async (h: string): Promise<string[]> => { asked.push(h); return answers[h] ?? Promise.reject(new Error('ENOTFOUND')); };
    const names = (entries: string[], listing = remote, trust = false): Promise<void> => checkListedNames(toInputFiles(entries, new URL('.', listing).toString()), listing, trust, resolve);
    await expect(names(['https://cdn.example.net/a.warc.gz', 'https://cdn.example.net/b.warc.gz', 'c.warc.gz', 's3://bucket/d.warc.gz', 'https://nowhere.example.net/e.warc.gz'])).resolves.toBeUndefined();
    expect(asked.sort()).toEqual(['cdn.example.net', 'data.example.org', 'nowhere.example.net']); // one lookup per host (c.warc.gz is on the listing's)
    await expect(names(['https://cdn.example.net/a.warc.gz', 'http://loop.example.net:6379/x.warc.gz'])).rejects.toThrow(/names http:\/\/loop\.example\.net:6379\/x\.warc\.gz, whose host loop\.example\.net resolves to 127\.0\.0\.1, a private or local address.*--trust-listing/);
    await expect(names(['https://meta.example.net/latest/meta-data/'])).rejects.toThrow(/resolves to 169\.254\.169\.254/);
    await expect(names(['https://six.example.net/x.warc.gz'])).rejects.toThrow(/resolves to ::1/);
    await expect(names(['http://loop.example.net/x.warc.gz'], remote, true)).resolves.toBeUndefined(); // trusted
    await expect(names(['http://loop.example.net/x.warc.gz'], 'http://127.0.0.1:9/paths.txt')).resolves.toBeUndefined(); // a private listing's own network
  });

  it('a name that passed the check and then resolves to loopback (DNS rebinding) is not connected to: the address checked is the one used', async () => {
    const requests: string[] = [];
    const server = http.createServer((req, res) => { requests.push(req.url ?? ''); res.end('secret bytes from loopback'); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    // The rebinding server: a public address for the listing's check, loopback for every later lookup.
    let lookups = 0;
    const rebinding = async (h: string): Promise<string[]> => (h === 'rebind.example.net' ? (lookups++ === 0 ? ['93.184.215.14'] : ['127.0.0.1']) : Promise.reject(new Error('ENOTFOUND')));
    const listing = 'https://data.example.org/crawl/wat.paths';
    const inputs = toInputFiles([`http://rebind.example.net:${port}/x.warc.gz`], new URL('.', listing).toString());
    await checkListedNames(inputs, listing, false, rebinding); // passes: the first answer is public
    const read = async (io: IoSession, url: string): Promise<string> => {
      try {
        return (await readAll(url, io)).toString();
      } finally {
        io.close();
      }
    };
    const guarded = (): IoSession => new IoSession(testIoSettings({ publicAddressesOnly: true, attempts: 1 }), undefined, rebinding);
    await expect(read(guarded(), (inputs[0] as { input: string }).input)).rejects.toThrow(/rebind\.example\.net resolves to 127\.0\.0\.1, a private or local address: inputs of a listing fetched over the network are read from public addresses only/);
    // A literal loopback address is connected to without a lookup: refused before any request.
    await expect(read(guarded(), `http://127.0.0.1:${port}/y.warc.gz`)).rejects.toThrow(/127\.0\.0\.1 is a private or local address: inputs of a listing/);
    expect(requests).toEqual([]);
    // The same session without the policy (a local or trusted listing) reads the server: the refusals above were the policy's.
    expect(await read(testIoSession({ attempts: 1 }), `http://127.0.0.1:${port}/z.warc.gz`)).toBe('secret bytes from loopback');
    expect(requests).toEqual(['/z.warc.gz']);
    await new Promise<void>((r) => server.close(() => r()));
  });
});

describe('tasks read back from Redis', () => {
  const file = { runId: 'r1', fileId: 'f000001-0123456789', input: '/data/a.warc.gz', out: '/out', job: 'wikipedia-links', partitions: 4, maxRecordBytes: 1 << 20 };
  const reduce = { runId: 'r1', out: '/out', job: 'wikipedia-links', partitions: 8, first: 4, count: 4, inputs: 'r1/reduce/inputs.jsonl', inputsDigest: '12-00112233aabbccdd' };

  it('accepts what the coordinator writes', () => {
    expect(checkFileTask(file, 'r1', '/out')).toEqual(file);
    expect(checkReduceTask(reduce, 'r1', '/out', 'r1/reduce/inputs.jsonl')).toEqual(reduce);
  });

  it('refuses a task for another run, another output location, an unregistered run, or malformed fields', () => {
    expect(() => checkFileTask(file, 'r2', '/out')).toThrow(/task names run "r1", but came from the queue of run r2/);
    expect(() => checkFileTask({ ...file, out: '/home/attacker' }, 'r1', '/out')).toThrow(/task writes to "\/home\/attacker", not to the run's output location/);
    expect(() => checkFileTask(file, 'r1', undefined)).toThrow(/no registered output location/);
    expect(() => checkFileTask({ ...file, fileId: '../../x' }, 'r1', '/out')).toThrow(/fileId/);
    expect(() => checkFileTask({ ...file, partitions: 1e9 }, 'r1', '/out')).toThrow(/partitions/);
    expect(() => checkFileTask({ ...file, input: 'a\nb' }, 'r1', '/out')).toThrow(/input/);
    expect(() => checkFileTask('nonsense', 'r1', '/out')).toThrow(/not an object/);
    expect(checkFileTask({ ...file, publicOnly: true }, 'r1', '/out')).toMatchObject({ publicOnly: true });
    expect(() => checkFileTask({ ...file, publicOnly: 'no' }, 'r1', '/out')).toThrow(/publicOnly/);
    expect(() => checkReduceTask({ ...reduce, inputs: 'other/reduce/inputs.jsonl' }, 'r1', '/out', 'r1/reduce/inputs.jsonl')).toThrow(/not the run's list/);
    expect(() => checkReduceTask({ ...reduce, first: 8 }, 'r1', '/out', 'r1/reduce/inputs.jsonl')).toThrow(/first/);
  });
});

describe('the output directory', () => {
  it('a symbolic link placed at <out>/<runId> does not steer writes elsewhere (issue 12, finding 8)', async () => {
    const dir = await tempDir('symlink');
    const out = path.join(dir, 'out');
    const elsewhere = path.join(dir, 'elsewhere');
    await fsp.mkdir(out);
    await fsp.mkdir(elsewhere);
    await fsp.symlink(elsewhere, path.join(out, 'run-1'));
    const store = new LocalStore(out);
    await expect(store.put('run-1/manifest.json', '{}')).rejects.toThrow(/leads outside the output directory .* \(through a symbolic link\): refusing to write there/);
    await expect(store.openWrite('run-1/partials/f.jsonl.gz')).rejects.toThrow(/refusing to write there/);
    expect(await fsp.readdir(elsewhere)).toEqual([]);
    // The output directory itself may be a link (the operator's choice); a run directory inside it is written as usual.
    const linkedOut = path.join(dir, 'linked-out');
    await fsp.symlink(elsewhere, linkedOut);
    await new LocalStore(linkedOut).put('run-2/manifest.json', '{}');
    expect(await fsp.readFile(path.join(elsewhere, 'run-2', 'manifest.json'), 'utf8')).toBe('{}');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
