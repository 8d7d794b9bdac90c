/**
 * What reaches a terminal or a command line (issue 12, findings 6 and 7): `extract --format tsv` escapes control
 * characters taken from the input (ESC, BEL, C1 CSI: window titles, hyperlinks, clipboard writes, screen clears), and a
 * setting can come from a file named by `<ENV>_FILE` instead of a command line that `ps` shows.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRow } from '../../src/extract/format.js';
import { loadConfig } from '../../src/config/index.js';
import { tempDir } from '../helpers/fixtures.js';

describe('extract --format tsv', () => {
  it('escapes every control character; keeps tabs, newlines and backslashes as their TSV escapes', () => {
    const cols = [{ name: 'title' }, { name: 'anchor' }, { name: 'uri' }] as never;
    const row = { title: 'a\x1b]0;owned\x07b', anchor: 'x\x9b2Jy\x7f\x00', uri: 'tab\there\nnew\\line\r' };
    const line = formatRow('tsv', cols, row);
    expect(line).toBe('a\\x1b]0;owned\\x07b\tx\\x9b2Jy\\x7f\\x00\ttab\\there\\nnew\\\\line\\r\n');
    expect(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(line)).toBe(false);
  });
});

describe('settings from files', () => {
  it('reads <ENV>_FILE when <ENV> is unset, and names the variable when the file is missing', async () => {
    const dir = await tempDir('config-file');
    const file = path.join(dir, 'redis-url');
    await fsp.writeFile(file, 'redis://:s3cret@10.0.0.5:6379\n', { mode: 0o600 });
    expect(loadConfig({}, { WIKIREVERSE_REDIS_URL_FILE: file }).redisUrl).toBe('redis://:s3cret@10.0.0.5:6379');
    expect(loadConfig({}, { WIKIREVERSE_REDIS_URL: 'redis://a:1', WIKIREVERSE_REDIS_URL_FILE: file }).redisUrl).toBe('redis://a:1');
    expect(() => loadConfig({}, { WIKIREVERSE_REDIS_URL_FILE: path.join(dir, 'nope') })).toThrow(/Cannot read WIKIREVERSE_REDIS_URL_FILE \(.*nope\): ENOENT/);
    await fsp.rm(dir, { recursive: true, force: true });
  });
});
