/**
 * The storage layer's per-job state: one `IoSession` per file job (worker), per coordinator run, per command that
 * reads a store or an input; made with `IoSettings` (io-settings.ts).
 * It holds the request counters, a keep-alive agent for https inputs and, made on first use, the S3 client.
 * Whoever makes a session closes it: `close()` releases the sockets (open ones keep the process alive).
 */
import http from 'node:http';
import https from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { publicLookup, type Resolver } from './address-policy.js';
import { IoCounters } from './io-counters.js';
import { createS3Client } from './s3-client.js';
import type { IoSettings } from './io-settings.js';

export class IoSession {
  private s3: S3Client | undefined;
  private agents: { http: http.Agent; https: https.Agent } | undefined;

  /**
   * `counters`: another session's, for a session that counts into it (one with another address policy);
   * `resolve`: how names are resolved under `publicAddressesOnly` (tests answer as a rebinding DNS server would).
   */
  constructor(readonly settings: IoSettings, readonly counters = new IoCounters(), private readonly resolve?: Resolver) {}

  s3Client(): S3Client {
    this.s3 ??= createS3Client(this.settings, this.counters);
    return this.s3;
  }

  agentFor(protocol: string): http.Agent {
    if (this.agents === undefined) {
      // Under the policy every connection's address is the one its lookup checked (address-policy.ts).
      const lookup = this.settings.publicAddressesOnly === true ? { lookup: publicLookup(this.resolve) } : {};
      this.agents = { http: new http.Agent({ keepAlive: true, maxSockets: 16, ...lookup }), https: new https.Agent({ keepAlive: true, maxSockets: 16, ...lookup }) };
    }
    return protocol === 'https:' ? this.agents.https : this.agents.http;
  }

  close(): void {
    this.s3?.destroy();
    this.s3 = undefined;
    this.agents?.http.destroy();
    this.agents?.https.destroy();
    this.agents = undefined;
  }
}
