"""The record reader's peers in `npm run bench` (src/bench/peers.ts): every record of the files framed and its payload
read, no job, as the bench's `reader` variant does.
    .venv-bench/bin/python scripts/bench-peers.py fastwarc|warcio FILE...
Prints one JSON line: seconds and cpuSeconds of the reading only (not the interpreter's start-up or imports), records,
payload bytes, peak RSS in MB. FastWARC (Resiliparse's C++ reader) and warcio both parse HTTP headers and decode
chunked transfer encoding, as our reader does; payload bytes are what each gives as the record's content."""
import json
import resource
import sys
import time


def fastwarc_read(files):
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    records = payload = 0
    for f in files:
        for rec in ArchiveIterator(f, record_types=WarcRecordType.any_type, parse_http=True, fsspec_args=False):
            payload += len(rec.reader.read())
            records += 1
    return records, payload


def warcio_read(files):
    from warcio.archiveiterator import ArchiveIterator
    records = payload = 0
    for f in files:
        with open(f, 'rb') as fh:
            for rec in ArchiveIterator(fh):
                payload += len(rec.content_stream().read())
                records += 1
    return records, payload


READERS = {'fastwarc': fastwarc_read, 'warcio': warcio_read}


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in READERS:
        sys.exit('usage: bench-peers.py fastwarc|warcio FILE...')
    read = READERS[sys.argv[1]]
    read([])  # imports, outside the timing
    t0, c0 = time.perf_counter(), time.process_time()
    records, payload = read(sys.argv[2:])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'seconds': seconds, 'cpuSeconds': cpu, 'records': records, 'bytes': payload, 'maxRssMb': rss_mb}))


main()
