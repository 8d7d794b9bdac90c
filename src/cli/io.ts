/** Where a command writes: stdout for results, stderr for progress and logs. Tests pass their own. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export { UsageError } from '../exit-codes.js';
import { Option } from 'commander';
import { UsageError } from '../exit-codes.js';
import { parseSetting, type SettingSpec } from '../config/index.js';

export function intOption(name: string, min = 0): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer >= ${min}, got "${value}"`);
    return n;
  };
}

/** An option that sets a setting: its value is checked against the setting's own range, as the variable's is. */
export function settingOption(name: string, spec: SettingSpec & { kind: 'int' | 'number' }): (value: string) => number {
  return (value: string) => {
    try {
      return parseSetting(spec, value, name) as number;
    } catch (err) {
      throw new UsageError((err as Error).message); // a flag's mistake: --help shows it
    }
  };
}

/**
 * An option whose default may hold a secret (a Redis URL with its password, an S3 endpoint with its keys): `--help`
 * says which setting it comes from, never its value.
 */
export function secretOption(flags: string, description: string, value: string | undefined, setting: { readonly env: string }, required = false): Option {
  const o = new Option(flags, description);
  if (value !== undefined) o.default(value, `from ${setting.env}`);
  return required ? o.makeOptionMandatory() : o;
}
