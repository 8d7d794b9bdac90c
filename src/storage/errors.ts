/** Errors that decide retry behaviour above the storage layer. */

/** The input does not exist (local ENOENT, HTTP 404, S3 NoSuchKey): retrying cannot help, the file fails at once. */
export class InputNotFoundError extends Error {
  override readonly name = 'InputNotFoundError';
}
