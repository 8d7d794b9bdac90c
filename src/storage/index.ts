/** Storage: the output store (local directory or S3), input opening (local, http(s), S3), I/O counters and retries. */
export type { OutputStore, PendingObject } from './types.js';
export { LocalStore } from './local-store.js';
export { S3Store } from './s3-store.js';
export { openInput, openLocalInput, isRemote, localPathOf, INPUT_CHUNK_BYTES } from './inputs.js';
export { IoSession } from './io-session.js';
export { isPrivateHost, PrivateAddressError, systemResolver, type Resolver } from './address-policy.js';
export { ioSettingsFromConfig, type IoSettings } from './io-settings.js';
export { IoCounters, plusRequests, withOwnPut, type IoProtocol } from './io-counters.js';
export { hasAwsCredentials } from './s3-client.js';
export { readAll } from './read-all.js';
export { footerMember, readCommit, type ReadCommit } from './commit-footer.js';

import { LocalStore } from './local-store.js';
import { S3Store } from './s3-store.js';
import type { IoSession } from './io-session.js';
import type { OutputStore } from './types.js';

/**
 * The output store for a location given by the user (`--out`): a local directory or `s3://bucket/prefix`.
 * S3 requests are made (and counted) through `io`, which the caller closes when it is done with the store.
 */
export function openStore(location: string, io: IoSession): OutputStore {
  if (/^s3:\/\//i.test(location)) return new S3Store(location, io);
  return new LocalStore(location);
}
export * from './layout.js';
export { InputNotFoundError, ObjectTooLargeError } from './errors.js';
