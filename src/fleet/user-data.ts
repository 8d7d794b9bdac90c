/**
 * The user-data script of a fleet instance: resolves the run's Redis URL from an SSM SecureString parameter with the
 * instance role (no secret is ever in user-data), then runs the worker container for the run. When the container
 * exits (idle, drained, or after a spot notice), the instance shuts down, which terminates it.
 */
export interface UserDataOptions {
  readonly runId: string;
  /** Container image, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com/wikireverse:1.0`. */
  readonly image: string;
  /** Name of the SSM parameter (SecureString) holding the Redis URL. */
  readonly redisParam: string;
  readonly concurrency: number;
  readonly healthPort: number;
  /** The worker exits after this long without a file (the fleet shrinks as the queue drains). */
  readonly idleExitSecs: number;
  /** Extra environment for the worker (settings, never secrets). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Single-quotes a value for sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function renderUserData(o: UserDataOptions): string {
  const env = Object.entries(o.env ?? {}).map(([k, v]) => `echo ${shellQuote(`${k}=${v}`)} >> /run/wikireverse/worker.env`);
  return [
    '#!/bin/bash',
    `# WikiReverse worker for run ${o.runId}. No secrets here: the Redis URL is read from SSM with the instance role.`,
    'set -euo pipefail',
    'IMDS=http://169.254.169.254',
    'TOKEN=$(curl -sf -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")',
    'REGION=$(curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/placement/region")',
    'install -d -m 700 /run/wikireverse',
    'umask 077',
    `REDIS_URL=$(aws ssm get-parameter --region "$REGION" --name ${shellQuote(o.redisParam)} --with-decryption --query Parameter.Value --output text)`,
    'echo "WIKIREVERSE_REDIS_URL=$REDIS_URL" > /run/wikireverse/worker.env',
    'unset REDIS_URL',
    `echo ${shellQuote('WIKIREVERSE_IMDS_URL=http://169.254.169.254')} >> /run/wikireverse/worker.env`,
    ...env,
    'systemctl start docker || true',
    `docker pull ${shellQuote(o.image)}`,
    // The container gets 110 s to stop: a spot notice gives two minutes, and the worker hands its files back at once.
    `docker run --name wikireverse-worker --env-file /run/wikireverse/worker.env --stop-timeout 110 -p ${o.healthPort}:${o.healthPort} \\`,
    `  ${shellQuote(o.image)} --run ${shellQuote(o.runId)} --concurrency ${o.concurrency} --health-port ${o.healthPort} --exit-when-idle ${o.idleExitSecs} || true`,
    'shutdown -h now',
    '',
  ].join('\n');
}
