/**
 * The suite's protocol-level AWS: moto in server mode (scripts/aws-standin.sh installs it into .venv/) on a loopback port
 * of its own, serving EC2, SSM, ECR and CloudWatch Logs. The SDK and the AWS CLI are pointed at it the standard way,
 * `AWS_ENDPOINT_URL` (both read it themselves), with moto's test credentials. `recordCommands` keeps the requests a client
 * sent (what moto answered them is moto's): tests check what the fleet asked for, and what EC2 then holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './cli.js';
import { freePort } from './redis.js';

export const MOTO_SERVER = path.join(ROOT, '.venv/bin/moto_server');
export const AWS_CLI = path.join(ROOT, '.venv/bin/aws');
/** The account moto answers as. */
export const MOTO_ACCOUNT = '123456789012';

export interface Moto {
  readonly endpoint: string;
  /** What a process needs to talk to it: the endpoint, a region, moto's test credentials. */
  readonly env: Record<string, string>;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts moto_server on a free loopback port; resolves once it answers. */
export async function startMoto(): Promise<Moto> {
  if (!fs.existsSync(MOTO_SERVER)) throw new Error(`${MOTO_SERVER} is missing: run \`bash scripts/aws-standin.sh\` (scripts/test.sh does)`);
  const port = await freePort();
  const child: ChildProcess = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${endpoint}/moto-api/data.json`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${endpoint} within 60 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    env: { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1' },
    async reset() {
      const r = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!r.ok) throw new Error(`moto reset: HTTP ${r.status}`);
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** Points this process's AWS SDK clients at `moto` (the SDK reads AWS_ENDPOINT_URL itself). */
export function useMoto(moto: Moto): void {
  Object.assign(process.env, moto.env);
}

export interface SentCommand {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

type Handler = (args: { input: unknown }) => Promise<unknown>;
interface MiddlewareHost {
  middlewareStack: { add(mw: (next: Handler, context: { commandName?: string }) => Handler, opts: { step: 'initialize'; name: string }): void };
}

/** Keeps every command `client` (any AWS SDK v3 client) sends from now on, by name (e.g. `CreateFleetCommand`) and input. */
export function recordCommands(client: object): SentCommand[] & { of(name: string): Array<Record<string, unknown>> } {
  const sent = [] as unknown as SentCommand[] & { of(name: string): Array<Record<string, unknown>> };
  sent.of = (name) => sent.filter((c) => c.name === name).map((c) => c.input);
  (client as MiddlewareHost).middlewareStack.add((next, context) => async (args) => {
    sent.push({ name: String(context.commandName), input: structuredClone(args.input as Record<string, unknown>) });
    return next(args);
  }, { step: 'initialize', name: 'wikireverseRecordCommands' });
  return sent;
}
