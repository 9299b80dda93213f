import { withDeployment } from '../with-deployment.js';
import type { FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { filterEvents } from '../logs/filter-events.js';
import { systemClock } from '../clock.js';
import { InputError } from '../errors.js';
import { logGroupName, scheduleStreamPrefix } from '../aws/names.js';
import { appSecretRedactor } from '../logs/app-secret-redactor.js';
import { parseSince } from '../logs/parse-since.js';
import type { StepOutputs } from '../pipeline/step.js';
import type { CommonOptions, Io } from '../options.js';

interface Source {
  label: string;
  /** A stream name prefix (a service's tasks) or exact stream names (one task). */
  prefix?: string;
  streams?: string[];
}

const FOLLOW_EVERY_MS = 1_000;

/**
 * `logs [SERVICE...]`: lines from the services' tasks (all by default),
 * interleaved by time and prefixed with the service name; `--task
 * migrations` for the last migration task. Secret values are redacted.
 * `--follow` polls until Ctrl-C, which exits 0.
 */
export async function logsCommand(opts: CommonOptions, io: Io, names: readonly string[]): Promise<number> {
  // Read-only, and shown for whatever account the state is in: no lock, no identity check.
  return withDeployment(opts, io, { identity: false }, async ({ session, state }) => {
    const config = session.loaded.config;
    const tds = state.steps['task-definition']?.outputs as StepOutputs['task-definition'] | undefined;
    const problems: string[] = [];
    const since = parseSince(opts.logs?.since ?? '10m', systemClock.now());
    if (!since) problems.push(`--since ${opts.logs?.since}: a duration such as 15m, 2h or 1d, or a time such as 2026-11-20T10:00`);
    const known = Object.keys(config.services);
    for (const n of names) if (!known.includes(n)) problems.push(`${n}: not a service of this app; services are ${known.join(', ')}`);
    const sources: Source[] = [];
    const task = opts.logs?.task;
    if (task !== undefined) {
      const schedules = Object.keys(config.schedules);
      if (schedules.includes(task)) {
        // Every run of the schedule writes under its own stream prefix.
        sources.push({ label: task, prefix: `${scheduleStreamPrefix(task)}/` });
      } else if (task !== 'migrations')
        problems.push(`--task ${task}: "migrations" (the last migration task)${schedules.length ? ` or a schedule (${schedules.join(', ')})` : ''}`);
      const mig = state.steps.migrations?.outputs as StepOutputs['migrations'] | undefined;
      const runAs = config.migrations?.service ?? Object.values(config.services).find((s) => s.routes.includes('/*'))?.name ?? known[0]!;
      const td = tds?.services[runAs];
      if (task === 'migrations' && (!mig || !td)) problems.push('--task migrations: no migration has run yet');
      else if (task === 'migrations' && mig && td)
        sources.push({ label: 'migrations', streams: [`${td.streamPrefix}/${td.containerName}/${mig.taskArn.split('/').pop()}`] });
    } else {
      for (const n of names.length ? names : known) sources.push({ label: n, prefix: `${tds?.services[n]?.streamPrefix ?? n}/` });
    }
    if (problems.length) throw new InputError('logs: invalid arguments', problems, { hint: 'Run deploy-wizard logs --help.' });

    const redact = await appSecretRedactor(session, opts.env, !!opts.logs?.noRedact, 'logs');
    const group = logGroupName({ app: config.app, env: opts.env });
    // A sidecar's lines are in streams <service>/<sidecar>/<task id>: shown as service/sidecar.
    const sidecarsOf = (label: string) => (config.services[label]?.sidecars ?? []).map((sc) => sc.name);
    const labelOf = (label: string, stream: string | undefined) => {
      const container = stream?.split('/')[1];
      return container && sidecarsOf(label).includes(container) ? `${label}/${container}` : label;
    };
    const width = Math.max(...sources.flatMap((s) => [s.label.length, ...sidecarsOf(s.label).map((n) => s.label.length + 1 + n.length)]));
    const seen = new Set<string>();
    let from = since!.getTime();

    // Several services' streams: one query of the whole group a poll, sorted out here by stream prefix, rather than
    // one per service. FilterLogEvents allows few requests a second per account (the CloudWatch Logs quotas page),
    // and ten sequential calls every poll were both near it and slower to show a new line.
    const byPrefix = sources.length > 1 && sources.every((s) => s.prefix) ? sources : undefined;
    const fetchAll = async (): Promise<{ label: string; e: FilteredLogEvent }[]> => {
      const all: { label: string; e: FilteredLogEvent }[] = [];
      // A source with neither prefix nor streams is the whole group.
      for (const s of byPrefix ? [{ label: '' }] : sources) {
        for (const e of await filterEvents(session.aws.logs, { group, ...s, from, filter: opts.logs?.filter })) {
          if (!e.eventId || seen.has(e.eventId)) continue;
          const label = byPrefix ? byPrefix.find((p) => e.logStreamName?.startsWith(p.prefix!))?.label : s.label;
          if (label !== undefined) all.push({ label: labelOf(label, e.logStreamName), e });
        }
      }
      return all.sort((a, b) => (a.e.timestamp ?? 0) - (b.e.timestamp ?? 0));
    };
    const print = (batch: { label: string; e: FilteredLogEvent }[]) => {
      for (const { label, e } of batch) {
        seen.add(e.eventId!);
        from = Math.max(from, e.timestamp ?? from);
        const line = redact.redact((e.message ?? '').replace(/\n$/, ''));
        if (opts.json)
          io.stdout.write(JSON.stringify({ type: 'log', service: label, timestamp: new Date(e.timestamp ?? 0).toISOString(), message: line }) + '\n');
        else io.stdout.write(`${label.padEnd(width)} | ${new Date(e.timestamp ?? 0).toISOString()} ${line}\n`);
      }
    };

    try {
      print(await fetchAll());
      while (opts.logs?.follow && !io.signal.aborted) {
        await systemClock.sleep(FOLLOW_EVERY_MS, io.signal);
        print(await fetchAll());
      }
    } catch (e) {
      // Ctrl-C ends a --follow: that is how it is meant to stop.
      if (opts.logs?.follow && io.signal.aborted) return 0;
      throw e;
    }
    return 0;
  });
}
