/**
 * podman for the container test, every call with the containers.conf that scripts/container-base.sh wrote for this
 * machine.
 */
import { exec, startProcess, type Ran, type RunningCli } from './cli.js';

export class Podman {
  constructor(private readonly conf: string) {}

  get env(): Record<string, string> {
    return { CONTAINERS_CONF: this.conf };
  }

  /** `podman <args>` to its end. */
  run(args: string[], timeoutMillis?: number): Promise<Ran> {
    return exec('podman', args, { env: this.env, ...(timeoutMillis === undefined ? {} : { timeoutMillis }) });
  }

  /** `podman <args>` to its end; throws with its stderr unless it exits 0. */
  async ok(args: string[], timeoutMillis?: number): Promise<string> {
    const r = await this.run(args, timeoutMillis);
    if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
    return r.stdout;
  }

  /** A long-running `podman <args>` (an attached `podman run`), its stderr watched line by line. */
  start(args: string[]): RunningCli {
    return startProcess('podman', args, this.env);
  }
}
