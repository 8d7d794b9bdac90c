/**
 * The configuration table (src/config): every default is a value its setting takes; booleans, choices and numbers
 * refuse what they do not take, in one line naming the variable, the value and what it takes; a bad value ends any
 * command with exit code 2 and that line; the README's settings table is the table, variable for variable. The
 * configuration is read in src/config only, and loaded by the processes' entry points only (no module reaches for it).
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { ConfigError, LOG_LEVELS, SETTINGS, SETTING_FILE_MAX_BYTES, loadConfig, parseSetting, type SettingSpec } from '../../src/config/index.js';
import { ExitCode, UsageError } from '../../src/exit-codes.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

const specs = Object.entries(SETTINGS) as Array<[string, SettingSpec]>;
const ofKind = (kind: SettingSpec['kind']): Array<[string, SettingSpec]> => specs.filter(([, s]) => s.kind === kind);
/** loadConfig with only this variable set; the error it throws, or undefined. */
const refusal = (env: string, value: string): Error | undefined => {
  try {
    loadConfig({}, { [env]: value });
    return undefined;
  } catch (err) {
    return err as Error;
  }
};

describe('the settings table', () => {
  it('has one variable per setting, and every default is a value its setting takes', () => {
    const envs = specs.map(([, s]) => s.env);
    expect(new Set(envs).size).toBe(envs.length);
    for (const [name, spec] of specs) {
      if (spec.default === undefined) continue;
      expect(parseSetting(spec, String(spec.default)), name).toBe(spec.default);
    }
    const config = loadConfig({}, {});
    for (const [name, spec] of specs) expect(config[name as keyof typeof config], name).toBe(spec.default);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('the log levels are pino\'s, and silent', () => {
    const pinoLevels = Object.entries(pino.levels.values).sort((a, b) => a[1] - b[1]).map(([l]) => l);
    expect([...LOG_LEVELS]).toEqual([...pinoLevels, 'silent']);
  });

  it('booleans take true/false, 1/0, yes/no, on/off in any case, and nothing else', () => {
    expect(ofKind('bool').map(([n]) => n).sort()).toEqual(['progress', 's3ForcePathStyle']);
    for (const [name, spec] of ofKind('bool')) {
      for (const v of ['true', 'TRUE', 'True', '1', 'yes', 'Yes', 'on', 'ON']) expect(loadConfig({}, { [spec.env]: v })[name as 'progress'], `${spec.env}=${v}`).toBe(true);
      for (const v of ['false', 'FALSE', '0', 'no', 'NO', 'off', 'Off']) expect(loadConfig({}, { [spec.env]: v })[name as 'progress'], `${spec.env}=${v}`).toBe(false);
      for (const v of ['maybe', 'y', 'n', '2', 'enabled', 'truee', '-1']) {
        const err = refusal(spec.env, v);
        expect(err, `${spec.env}=${v}`).toBeInstanceOf(ConfigError);
        expect(err?.message).toBe(`${spec.env} "${v}": expected true or false (or 1/0, yes/no, on/off)`);
      }
    }
    // Before: anything but 1 or true meant false, silently.
    expect(refusal('WIKIREVERSE_PROGRESS', 'yes')).toBeUndefined();
    expect(loadConfig({}, { WIKIREVERSE_PROGRESS: 'yes' }).progress).toBe(true);
  });

  it('choices take exactly their values, and refuse anything else naming the variable, the value and the choices', () => {
    const choices = Object.fromEntries(ofKind('choice').map(([n, s]) => [n, s.choices]));
    expect(Object.keys(choices).sort()).toEqual(['containerTest', 'fleet', 'fuzzSelftest', 'inflate', 'logFormat', 'logLevel', 'source']);
    for (const [name, spec] of ofKind('choice')) {
      expect(spec.choices?.length, name).toBeGreaterThan(1);
      for (const c of spec.choices ?? []) expect(loadConfig({}, { [spec.env]: c })[name as 'fleet'], `${spec.env}=${c}`).toBe(c);
      for (const v of ['nope', `${spec.choices?.[0]}x`, (spec.choices?.[0] ?? '').toUpperCase(), ' ']) {
        const err = refusal(spec.env, v);
        expect(err, `${spec.env}=${JSON.stringify(v)}`).toBeInstanceOf(ConfigError);
        expect(err?.message).toBe(`${spec.env} ${JSON.stringify(v)}: expected one of ${spec.choices?.join(', ')}`);
      }
    }
    expect(refusal('WIKIREVERSE_FLEET', 'ec3')?.message).toBe('WIKIREVERSE_FLEET "ec3": expected one of local, ec2');
  });

  it('integers take whole numbers within their bounds only', () => {
    for (const [name, spec] of ofKind('int')) {
      const min = spec.min ?? 0;
      const range = spec.max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${spec.max}`;
      expect(loadConfig({}, { [spec.env]: String(min) })[name as 'attempts'], `${spec.env}=${min}`).toBe(min);
      if (spec.max !== undefined) expect(loadConfig({}, { [spec.env]: String(spec.max) })[name as 'attempts']).toBe(spec.max);
      const bad = [String(min - 1), `${min}.5`, 'ten', '12abc', 'Infinity', ' ', ...(spec.max === undefined ? [] : [String(spec.max + 1)])];
      for (const v of bad) {
        const err = refusal(spec.env, v);
        expect(err, `${spec.env}=${JSON.stringify(v)}`).toBeInstanceOf(ConfigError);
        expect(err?.message).toBe(`${spec.env} ${JSON.stringify(v)}: expected ${range}`);
      }
    }
    // The bounds the code relies on: attempts and concurrency at least 1, ports within 0..65535.
    expect(refusal('WIKIREVERSE_ATTEMPTS', '0')?.message).toBe('WIKIREVERSE_ATTEMPTS "0": expected an integer >= 1');
    expect(refusal('WIKIREVERSE_CONCURRENCY', '0')).toBeInstanceOf(ConfigError);
    expect(refusal('WIKIREVERSE_HEALTH_PORT', '65536')?.message).toBe('WIKIREVERSE_HEALTH_PORT "65536": expected an integer from 0 to 65535');
    expect(loadConfig({}, { WIKIREVERSE_PARTITIONS: '0', WIKIREVERSE_WORKERS: '0', WIKIREVERSE_RATE_LIMIT: '0' })).toMatchObject({ partitions: 0, workers: 0, rateLimit: 0 });
  });

  it('numbers take finite values within their bounds only', () => {
    expect(ofKind('number').map(([n]) => n)).toEqual(['budgetUsd']);
    expect(loadConfig({}, { WIKIREVERSE_BUDGET_USD: '0.25' }).budgetUsd).toBe(0.25);
    expect(loadConfig({}, { WIKIREVERSE_BUDGET_USD: '12' }).budgetUsd).toBe(12);
    for (const v of ['0', '-1', 'Infinity', 'NaN', 'five', '']) {
      if (v === '') continue; // empty is unset
      expect(refusal('WIKIREVERSE_BUDGET_USD', v)?.message).toBe(`WIKIREVERSE_BUDGET_USD ${JSON.stringify(v)}: expected a number above 0`);
    }
  });

  it('strings take anything; an empty variable is unset', () => {
    expect(loadConfig({}, { WIKIREVERSE_S3_REGION: 'eu-west-3', WIKIREVERSE_FLEET: '', WIKIREVERSE_ATTEMPTS: '' })).toMatchObject({ s3Region: 'eu-west-3', fleet: 'local', attempts: 5 });
  });

  it('a value from <VAR>_FILE is checked alike, naming the _FILE variable', async () => {
    const dir = await tempDir('config');
    try {
      const file = path.join(dir, 'fleet');
      await fsp.writeFile(file, 'ec3\n');
      // The refusal says what the file should hold, never what it holds (it may be a secret).
      expect(refusal('WIKIREVERSE_FLEET_FILE', file)?.message).toBe("WIKIREVERSE_FLEET_FILE: the file's content is not a valid value (expected one of local, ec2)");
      await fsp.writeFile(file, 'ec2\n');
      expect(loadConfig({}, { WIKIREVERSE_FLEET_FILE: file }).fleet).toBe('ec2');
      const missing = refusal('WIKIREVERSE_FLEET_FILE', path.join(dir, 'nope'));
      expect(missing).toBeInstanceOf(ConfigError);
      expect(missing?.message).toMatch(/^Cannot read WIKIREVERSE_FLEET_FILE \(.*nope\): ENOENT$/);
      // Bounded: not a device that never ends, not a file of megabytes (the audit's /dev/zero grew to 22.8 GB).
      expect(refusal('WIKIREVERSE_REDIS_URL_FILE', '/dev/zero')?.message).toBe('WIKIREVERSE_REDIS_URL_FILE (/dev/zero) is not a regular file');
      const big = path.join(dir, 'big');
      await fsp.writeFile(big, 'x'.repeat(SETTING_FILE_MAX_BYTES + 1));
      expect(refusal('WIKIREVERSE_REDIS_URL_FILE', big)?.message).toMatch(/holds 65537 bytes; a setting is at most 65536$/);
      const secret = path.join(dir, 'secret');
      await fsp.writeFile(secret, 'hunter2-not-a-number', { mode: 0o600 });
      expect(refusal('WIKIREVERSE_ATTEMPTS_FILE', secret)?.message).not.toContain('hunter2');
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('a refusal is a usage error: exit code 2', () => {
    const err = refusal('WIKIREVERSE_LOG_FORMAT', 'xml');
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.Usage);
  });
});

describe('a bad setting on the command line', () => {
  // Any command: `status` does not use the fleet setting, the worker does not use the progress display; both refuse.
  const cases: Array<[string, string[], Record<string, string>, string]> = [
    ['WIKIREVERSE_FLEET=ec3, status', ['status', 'r1'], { WIKIREVERSE_FLEET: 'ec3' }, 'error: WIKIREVERSE_FLEET "ec3": expected one of local, ec2'],
    ['WIKIREVERSE_PROGRESS=maybe, worker', ['worker', '--redis', 'redis://127.0.0.1:1'], { WIKIREVERSE_PROGRESS: 'maybe' }, 'error: WIKIREVERSE_PROGRESS "maybe": expected true or false (or 1/0, yes/no, on/off)'],
    ['WIKIREVERSE_ATTEMPTS=0, run --dry-run', ['run', '--paths', path.join(ROOT, 'test/fixtures/samples'), '--out', '/tmp/x', '--dry-run'], { WIKIREVERSE_ATTEMPTS: '0' }, 'error: WIKIREVERSE_ATTEMPTS "0": expected an integer >= 1'],
  ];
  for (const [what, args, env, line] of cases) {
    it(`${what}: exit 2 and one line`, async () => {
      const res = await runCli(args, env);
      expect(res.code, res.stderr).toBe(ExitCode.Usage);
      expect(res.stderr).toBe(`${line}\n`);
      expect(res.stdout).toBe('');
    });
  }
});

describe('the README', () => {
  /** The settings table's rows: variables and their defaults, paired ("`A` / `B`" with "1 / 2"). */
  function readmeDefaults(): Map<string, string> {
    const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const rows = text.split('\n').filter((l) => l.startsWith('| `WIKIREVERSE_'));
    const out = new Map<string, string>();
    for (const row of rows) {
      const [vars, defaults] = row.split(/(?<!\\)\|/).slice(1, 3).map((c) => c.trim().split(' / '));
      expect(vars?.length, row).toBe(defaults?.length);
      vars?.forEach((v, i) => {
        const env = v.replace(/`/g, '');
        expect(out.has(env), `${env} twice`).toBe(false);
        out.set(env, (defaults?.[i] ?? '').replace(/`/g, ''));
      });
    }
    return out;
  }
  /** Defaults the machine decides: the README says how. */
  const COMPUTED: Record<string, string> = { WIKIREVERSE_WORKERS: 'cores' };

  it('lists exactly the table\'s variables, each with its default ("–" for none, then what unset means)', () => {
    const readme = readmeDefaults();
    expect([...readme.keys()].sort()).toEqual(specs.map(([, s]) => s.env).sort());
    for (const [, spec] of specs) {
      const cell = readme.get(spec.env) ?? '';
      const shown = COMPUTED[spec.env] ?? (spec.default === undefined ? '–' : String(spec.default));
      // The default, then nothing or a parenthesis saying more.
      expect(cell === shown || cell.startsWith(`${shown} (`), `${spec.env}: README says "${cell}", the table ${shown}`).toBe(true);
    }
  });
});

describe('where the configuration is read', () => {
  /** Every source file under src/, relative to the repository, with its text. */
  const sources = (): Array<[string, string]> =>
    (fs.readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => [`src/${f.split(path.sep).join('/')}`, fs.readFileSync(path.join(ROOT, 'src', f), 'utf8')]);
  /**
   * The processes' entry points: each reads its own configuration once, and passes it on (a child process inherits the
   * environment, not its parent's objects). The CLI's is the one every command receives (CommandContext.config).
   */
  const ENTRY_POINTS = ['src/cli/main.ts', 'src/bench/index.ts', 'src/bench/child.ts', 'src/fuzz/child.ts'];

  it('process.env appears in src/config only', () => {
    const readers = sources().filter(([, text]) => /\bprocess\.env\b/.test(text)).map(([file]) => file);
    expect(readers).toEqual(['src/config/index.ts']);
  });

  it('loadConfig is called by src/config and the entry points only, once each: no module reaches for the configuration', () => {
    const calls = sources()
      .filter(([file]) => !file.startsWith('src/config/'))
      .flatMap(([file, text]) => (text.match(/\bloadConfig\s*\(/g) ?? []).map(() => file));
    expect(calls.filter((f) => !ENTRY_POINTS.includes(f)), 'modules other than entry points that call loadConfig').toEqual([]);
    expect(calls.sort()).toEqual([...ENTRY_POINTS].sort());
  });
});
