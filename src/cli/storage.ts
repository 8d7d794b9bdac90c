/**
 * The storage options every command that reads an output store or an input takes (`--s3-endpoint`), and the storage
 * session a command opens with them: made from the one configuration the CLI loaded, closed when the command ends.
 */
import type { Command } from 'commander';
import type { IoSession, IoSettings, OutputStore } from '../storage/index.js';
import type { CommandContext } from './context.js';
import { secretOption } from './io.js';
import { SETTINGS } from '../config/index.js';

export interface StorageFlags {
  s3Endpoint?: string;
}

export function addStorageOptions(cmd: Command, ctx: CommandContext): Command {
  return cmd.addOption(secretOption(
    '--s3-endpoint <url>',
    'S3-compatible endpoint for s3:// inputs and outputs (MinIO, R2, Ceph; unset: AWS); KEY:SECRET@ in it is used as credentials',
    ctx.config.s3Endpoint, SETTINGS.s3Endpoint,
  ));
}

/** The storage settings of a command: the configuration's, with its `--s3-endpoint`. */
export async function storageSettings(ctx: CommandContext, f: StorageFlags): Promise<IoSettings> {
  const { ioSettingsFromConfig } = await import('../storage/io-settings.js');
  return ioSettingsFromConfig(ctx.config, f.s3Endpoint);
}

/** Runs `use` with a storage session made from the command's settings (the configuration's, with its `--s3-endpoint`). */
export async function withStorage<T>(ctx: CommandContext, f: StorageFlags, use: (io: IoSession) => Promise<T>): Promise<T> {
  return withSession(await storageSettings(ctx, f), use);
}

/** Runs `use` with the output store at `location` (`--out`), opened through a session as `withStorage` makes one. */
export async function withStore<T>(ctx: CommandContext, f: StorageFlags, location: string, use: (store: OutputStore) => Promise<T>): Promise<T> {
  const { openStore } = await import('../storage/index.js');
  return withStorage(ctx, f, (io) => use(openStore(location, io)));
}

/** Runs `use` with a storage session made from `settings`, and closes the session after (its sockets keep the process alive). */
export async function withSession<T>(settings: IoSettings, use: (io: IoSession) => Promise<T>): Promise<T> {
  const { IoSession } = await import('../storage/io-session.js'); // not the index: `extract` does not load the S3 SDK
  const io = new IoSession(settings);
  try {
    return await use(io);
  } finally {
    io.close();
  }
}
