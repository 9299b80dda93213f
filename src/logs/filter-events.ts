import { FilterLogEventsCommand, type CloudWatchLogsClient, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';

/** Events in the log group since `from`: streams by name prefix (a service's tasks), by exact name (one task) or all of them, every page. */
export async function filterEvents(
  logs: CloudWatchLogsClient,
  q: { group: string; prefix?: string; streams?: string[]; from: number; filter?: string },
): Promise<FilteredLogEvent[]> {
  const out: FilteredLogEvent[] = [];
  // Checked here too: moto answers a prefix query with every stream's events.
  const mine = (e: FilteredLogEvent) => (q.prefix ? !!e.logStreamName?.startsWith(q.prefix) : q.streams ? q.streams.includes(e.logStreamName ?? '') : true);
  let nextToken: string | undefined;
  do {
    const res = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: q.group,
        ...(q.prefix ? { logStreamNamePrefix: q.prefix } : q.streams ? { logStreamNames: q.streams } : {}),
        startTime: q.from,
        ...(q.filter ? { filterPattern: q.filter } : {}),
        nextToken,
      }),
    );
    out.push(...(res.events ?? []).filter(mine));
    nextToken = res.nextToken;
  } while (nextToken);
  return out;
}
