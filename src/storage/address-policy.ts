/**
 * Which network addresses an input may be read from. A run whose inputs came from a listing fetched over the network
 * (not trusted, not itself on a private host) reads only from public addresses: the check is made on the address a
 * connection is about to use (the agent's `lookup`), so a name that resolved to a public address when the listing was
 * checked and to 127.0.0.1 when the file is read (DNS rebinding) is refused as well.
 */
import dns from 'node:dns';
import net from 'node:net';

/** Loopback, private, link-local (the instance-metadata service), unspecified and carrier-grade NAT addresses, and localhost. */
export function isPrivateHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h.startsWith('::ffff:') ? h.slice(7) : h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  if (h.includes(':')) return h === '::1' || h === '::' || /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || h.startsWith('::ffff:');
  return false;
}

/** A connection refused by the address policy: final (retrying cannot help), and it names the host and the address. */
export class PrivateAddressError extends Error {
  override readonly name = 'PrivateAddressError';
  readonly code = 'EPRIVATEADDRESS';
  constructor(host: string, address: string) {
    super(`${host === address ? host : `${host} resolves to ${address},`} ${host === address ? 'is ' : ''}a private or local address: inputs of a listing fetched over the network are read from public ` +
      'addresses only (add --trust-listing if you trust the listing)');
  }
}

/** How a host name is resolved: every address, as dns.lookup answers (the /etc/hosts file included). */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for an http(s) agent that resolves with `resolve` and refuses the connection when any address is private:
 * the socket then connects only to an address checked here. (An IP literal in the URL is not looked up: see `checkLiteral`.)
 */
export function publicLookup(resolve: Resolver = systemResolver): net.LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    resolve(hostname).then((addresses) => {
      const bad = addresses.find((a) => isPrivateHost(a));
      if (bad !== undefined) return callback(new PrivateAddressError(hostname, bad), '');
      const first = addresses[0];
      if (first === undefined) return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), '');
      if (options.all === true) return callback(null, addresses.map((a) => ({ address: a, family: net.isIP(a) })));
      callback(null, first, net.isIP(first));
    }, (err: NodeJS.ErrnoException) => callback(err, ''));
  });
}

/** The URL's host when it is an IP literal that the policy refuses (a literal is connected to without a lookup). */
export function checkLiteral(url: URL): void {
  const h = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(h) !== 0 && isPrivateHost(h)) throw new PrivateAddressError(url.hostname, h);
}
