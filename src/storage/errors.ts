/** Errors that decide retry behaviour above the storage layer. */

/** The input does not exist (local ENOENT, HTTP 404, S3 NoSuchKey): retrying cannot help, the file fails at once. */
export class InputNotFoundError extends Error {
  override readonly name = 'InputNotFoundError';
}

/** An object read with a size bound is larger than the bound. */
export class ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLargeError';
  constructor(location: string, maxBytes: number) {
    super(`${location} is larger than the ${maxBytes} bytes such an object may have: not read (it is not what this tool wrote)`);
  }
}
