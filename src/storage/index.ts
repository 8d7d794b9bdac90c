/** Storage: the output store (local directory) and input opening. */
export type { OutputStore, PendingObject } from './types.js';
export { LocalStore } from './local-store.js';
export { openInput, isRemote, localPathOf, INPUT_CHUNK_BYTES } from './inputs.js';

import { LocalStore } from './local-store.js';
import type { OutputStore } from './types.js';

/** The output store for a location given by the user (`--out`). */
export function openStore(location: string): OutputStore {
  if (/^s3:\/\//i.test(location)) {
    throw new Error(`Output to ${location} is not supported yet by this build: give a local directory to --out`);
  }
  return new LocalStore(location);
}
export * from './layout.js';
