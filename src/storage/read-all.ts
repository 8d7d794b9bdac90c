/** Reads a small object (a listing) whole, from any location `openInput` accepts. */
import { redactUrl } from '../log/index.js';
import { openInput } from './inputs.js';
import type { IoSession } from './io-session.js';

export async function readAll(location: string, io: IoSession, maxBytes = 256 * 1024 * 1024): Promise<Buffer> {
  const stream = await openInput(location, io);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) throw new Error(`${redactUrl(location)} is larger than ${maxBytes} bytes; is it really a listing?`);
      chunks.push(chunk as Buffer);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}
