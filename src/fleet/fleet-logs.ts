/**
 * A run's fleet logs as they happened: the events of the run's CloudWatch Logs group (log-names.ts), every instance's
 * boot and worker streams or one instance's, in time order. What instances wrote is not trusted: each line is cleaned
 * of control characters and bounded, and at most `MAX_EVENTS` are read.
 */
import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { withoutControlChars } from '../log/index.js';
import { runLogGroup } from './log-names.js';

export const MAX_EVENTS = 100_000;
const MAX_LINE = 4000;

export interface FleetLogLine {
  readonly timeMillis: number;
  /** `<instance-id>/boot` or `<instance-id>/worker`. */
  readonly stream: string;
  readonly message: string;
}

/** The last `tail` events of the run's fleet logs (of one instance when `instanceId` is given), oldest first. */
export async function readFleetLogs(logs: CloudWatchLogsClient, runId: string, opts: { instanceId?: string | undefined; tail: number }): Promise<FleetLogLine[]> {
  const lines: FleetLogLine[] = [];
  let nextToken: string | undefined;
  let read = 0;
  do {
    const res = await logs.send(new FilterLogEventsCommand({
      logGroupName: runLogGroup(runId), nextToken, ...(opts.instanceId ? { logStreamNamePrefix: `${opts.instanceId}/` } : {}),
    }));
    for (const e of res.events ?? []) {
      read++;
      // (Checked here as well: moto ignores the prefix.)
      if (opts.instanceId && !String(e.logStreamName ?? '').startsWith(`${opts.instanceId}/`)) continue;
      lines.push({
        timeMillis: Number.isSafeInteger(e.timestamp) ? (e.timestamp as number) : 0,
        stream: withoutControlChars(String(e.logStreamName ?? '')).slice(0, 200),
        message: withoutControlChars(String(e.message ?? '').replace(/\n$/, '')).slice(0, MAX_LINE),
      });
    }
    nextToken = res.nextToken;
  } while (nextToken && read < MAX_EVENTS);
  lines.sort((a, b) => a.timeMillis - b.timeMillis);
  return lines.slice(-opts.tail);
}
