/**
 * The user-data script of a fleet instance: reads the instance's region and id (IMDSv2), resolves the run's Redis URL
 * from an SSM SecureString parameter with the instance role (no secret is ever in user-data), logs in to the image's
 * registry when it is ECR, pulls the image and runs the worker container for the run, its log going to the run's
 * CloudWatch Logs group. Whatever happens, the instance shuts down at the end, which terminates it
 * (`InstanceInitiatedShutdownBehavior: terminate`): a trap on EXIT does it after any failure too, having first written
 * the failed step and its last output to the console (EC2's GetConsoleOutput) and to the run's log group, where
 * `wikireverse fleet logs` and the coordinator's failed-launch check read it.
 */
import { bootStream, runLogGroup, workerStream } from './log-names.js';

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
  /** The worker settings (config's workerEnv, without credentials): never secrets. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Single-quotes a value for sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The registry host and region of an ECR image URI (`<account>.dkr.ecr.<region>.amazonaws.com[.cn]/repo:tag`), else null. */
export function ecrRegistry(image: string): { host: string; region: string } | null {
  const m = /^(\d{12}\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?)\//.exec(image);
  return m ? { host: m[1] as string, region: m[2] as string } : null;
}

/** Steps of the script, in order; a failure names the step it happened in. */
export const USER_DATA_STEPS = ['metadata', 'redis-url', 'docker', 'registry-login', 'pull', 'worker'] as const;

export function renderUserData(o: UserDataOptions): string {
  const env = Object.entries(o.env ?? {}).map(([k, v]) => `echo ${shellQuote(`${k}=${v}`)} >> /run/wikireverse/worker.env`);
  const ecr = ecrRegistry(o.image);
  const group = shellQuote(runLogGroup(o.runId));
  return [
    '#!/bin/bash',
    `# WikiReverse worker for run ${o.runId}. No secrets here: the Redis URL is read from SSM with the instance role.`,
    '# Any failure ends in the EXIT trap: the reason goes to the console and the run\'s log group, then the instance shuts down.',
    'set -Eeuo pipefail',
    'umask 077',
    'STEP=start REGION="" INSTANCE_ID=""',
    'BOOT_LOG=/var/log/wikireverse-boot.log',
    'exec > >(tee -a "$BOOT_LOG") 2>&1',
    'say() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) wikireverse: $*"; }',
    '# One event in the run\'s log group (best effort: the console has it too). JSON by hand: no jq on the AMI.',
    'report() {',
    '  [ -n "$REGION" ] && [ -n "$INSTANCE_ID" ] || return 0',
    String.raw`  local msg; msg="$(printf %s "$1" | tr '\000-\037' ' ' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"`,
    `  aws logs create-log-stream --region "$REGION" --log-group-name ${group} --log-stream-name "${bootStream('$INSTANCE_ID')}" >/dev/null 2>&1 || true`,
    `  aws logs put-log-events --region "$REGION" --log-group-name ${group} --log-stream-name "${bootStream('$INSTANCE_ID')}" \\`,
    String.raw`    --log-events "[{\"timestamp\":$(date +%s%3N),\"message\":\"$msg\"}]" >/dev/null 2>&1 || true`,
    '}',
    'finish() {',
    '  local code=$?',
    '  trap - EXIT',
    '  set +e',
    '  if [ "$code" -ne 0 ]; then',
    '    say "failed at step $STEP (exit $code); shutting the instance down"',
    '    report "wikireverse: failed at step $STEP (exit $code); last output: $(tail -c 3000 "$BOOT_LOG")"',
    '  fi',
    '  shutdown -h now',
    '}',
    'trap finish EXIT',
    'STEP=metadata',
    'IMDS=http://169.254.169.254',
    'TOKEN=$(curl -sf --retry 3 --retry-connrefused -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")',
    'REGION=$(curl -sf --retry 3 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/placement/region")',
    'INSTANCE_ID=$(curl -sf --retry 3 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/instance-id")',
    'say "instance $INSTANCE_ID in $REGION, run ' + o.runId.replace(/[^A-Za-z0-9_-]/g, '') + '"',
    'STEP=redis-url',
    'install -d -m 700 /run/wikireverse',
    `REDIS_URL=$(aws ssm get-parameter --region "$REGION" --name ${shellQuote(o.redisParam)} --with-decryption --query Parameter.Value --output text)`,
    'echo "WIKIREVERSE_REDIS_URL=$REDIS_URL" > /run/wikireverse/worker.env',
    'unset REDIS_URL',
    `echo ${shellQuote('WIKIREVERSE_IMDS_URL=http://169.254.169.254')} >> /run/wikireverse/worker.env`,
    'echo "WIKIREVERSE_INSTANCE_ID=$INSTANCE_ID" >> /run/wikireverse/worker.env',
    ...env,
    'STEP=docker',
    'systemctl start docker',
    ...(ecr
      ? ['STEP=registry-login', `aws ecr get-login-password --region ${shellQuote(ecr.region)} | docker login --username AWS --password-stdin ${shellQuote(ecr.host)}`]
      : []),
    'STEP=pull',
    `docker pull ${shellQuote(o.image)}`,
    'STEP=worker',
    'report "wikireverse: image pulled; worker container starting"',
    // The container gets 110 s to stop: a spot notice gives two minutes, and the worker hands its files back at once.
    // no-new-privileges: no process in it gains privileges through a setuid file or a file capability.
    `docker run --name wikireverse-worker --security-opt no-new-privileges --env-file /run/wikireverse/worker.env --stop-timeout 110 -p ${o.healthPort}:${o.healthPort} \\`,
    `  --log-driver awslogs --log-opt awslogs-region="$REGION" --log-opt awslogs-group=${group} --log-opt awslogs-stream="${workerStream('$INSTANCE_ID')}" \\`,
    `  ${shellQuote(o.image)} --run ${shellQuote(o.runId)} --concurrency ${o.concurrency} --health-port ${o.healthPort} --exit-when-idle ${o.idleExitSecs}`,
    'say "worker exited 0"',
    '',
  ].join('\n');
}
