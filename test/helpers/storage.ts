/** Storage settings and sessions for tests, made as the CLI makes them: from the configuration table, through ioSettingsFromConfig. */
import { loadConfig } from '../../src/config/index.js';
import { IoSession, ioSettingsFromConfig, type IoSettings } from '../../src/storage/index.js';

/** The table's defaults (no environment), with `changes`. */
export function testIoSettings(changes: Partial<IoSettings> = {}): IoSettings {
  return { ...ioSettingsFromConfig(loadConfig({}, {})), ...changes };
}

/** A session with testIoSettings(changes); the caller closes it. */
export function testIoSession(changes: Partial<IoSettings> = {}): IoSession {
  return new IoSession(testIoSettings(changes));
}
