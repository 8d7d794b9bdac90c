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

describe('extract --format jsonl', () => {
  it('writes DEL, the C1 controls and the line separators as \\u escapes: the same values, nothing raw for a terminal (issue 24, finding 10)', () => {
    const cols = [{ name: 'anchor' }] as never;
    const row = { anchor: 'x\x9b2Jy\x7f\x9d8;;http://evil\x9c\u2028z\x1b' };
    const line = formatRow('jsonl', cols, row);
    expect(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(line.slice(0, -1))).toBe(false);
    expect(line).toContain('\\u009b2J');
    expect(JSON.parse(line)).toEqual(row);
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
