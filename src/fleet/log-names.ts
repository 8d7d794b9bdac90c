/**
 * Where a fleet's logs go in CloudWatch Logs: one log group per run (made by the coordinator when it launches the fleet,
 * with a retention), and per instance a `boot` stream (the user-data's own lines: what failed before the worker ran) and
 * a `worker` stream (the worker container's log, by Docker's awslogs driver).
 */
export function runLogGroup(runId: string): string {
  return `/wikireverse/${runId}`;
}

export function bootStream(instanceId: string): string {
  return `${instanceId}/boot`;
}

export function workerStream(instanceId: string): string {
  return `${instanceId}/worker`;
}

/** Days a run's log group is kept. */
export const LOG_RETENTION_DAYS = 14;
