import { withDeployment } from '../with-deployment.js';
import { systemClock } from '../clock.js';
import { collectStatus, type Status } from '../status/collect-status.js';
import type { CommonOptions, Io } from '../options.js';
import { formatPreviewRows, previewRows } from '../preview/preview-rows.js';

/** `status`: read-only. Exit 0 when every service is healthy and the last deploy finished, 1 with the reasons when not. */
export async function statusCommand(opts: CommonOptions, io: Io): Promise<number> {
  return withDeployment(opts, io, {}, async ({ session, state, loaded }) => {
    const status = await collectStatus({
      aws: session.aws,
      config: session.loaded.config,
      state,
      region: session.region,
      account: session.account,
      now: systemClock.now(),
      checkTargets: !io.env.DEPLOY_WIZARD_HEALTH_URL,
    });
    // The parent of previews lists them: each with its age, URL and monthly cost (a preview's own state says).
    const p = loaded.config.previews;
    const previews = p?.from === opts.env ? await previewRows({ loaded, previews: p, parent: opts.env }, opts, io) : undefined;
    if (opts.json)
      io.stdout.write(JSON.stringify({ type: 'status', healthy: status.problems.length === 0, ...status, ...(previews ? { previews } : {}) }) + '\n');
    else io.stdout.write(formatStatus(status) + (previews ? `\nPreviews\n${formatPreviewRows(previews).replace(/^/gm, '  ')}\n` : ''));
    return status.problems.length ? 1 : 0;
  });
}

export function formatStatus(s: Status): string {
  const lines = [`${s.app} (${s.env}) in ${s.region}, account ${s.account}`];
  if (s.lastDeploy) {
    const what =
      s.lastDeploy.outcome === 'done'
        ? 'finished'
        : s.lastDeploy.outcome === 'failed'
          ? `failed at ${s.lastDeploy.step}`
          : `stopped during ${s.lastDeploy.step}`;
    lines.push(`Last deploy ${what}${s.lastDeploy.at ? ` at ${s.lastDeploy.at}` : ''}`);
  }
  if (s.url) lines.push(`URL ${s.url}`);
  if (s.services.length) {
    lines.push('', 'Services');
    const w = Math.max(...s.services.map((r) => r.name.length));
    for (const r of s.services) {
      const why = r.rolledBack ? `rolled back from ${r.rolledBack.from} at ${r.rolledBack.at}; the next deploy rolls forward` : undefined;
      const differs = r.deployedRevision !== undefined ? ` (${why ?? `the last deploy set ${r.deployedRevision}`})` : '';
      const rev = r.revision !== undefined ? `rev ${r.revision}${differs}` : '';
      const targets = r.targets ? `, targets ${r.targets.healthy}/${r.targets.total} healthy` : '';
      const connect = r.connect
        ? `, ${r.connect.address}${r.connect.total !== undefined ? ` (${r.connect.healthy}/${r.connect.total} endpoints healthy)` : ' (Service Connect)'}`
        : '';
      lines.push(
        `  ${r.name.padEnd(w)}  ${r.kind.padEnd(8)}  ${r.running}/${r.desired} running${r.pending ? `, ${r.pending} pending` : ''}, ${r.rollout.toLowerCase()}  ${rev}${r.image ? `  ${r.image}` : ''}${targets}${connect}`,
      );
    }
  }
  if (s.schedules.length) {
    lines.push('', 'Schedules');
    for (const sch of s.schedules)
      lines.push(
        `  ${sch.name}  ${sch.expression} (${sch.timezone}) runs ${sch.service}; next ${sch.nextRun ?? 'not computed here'}` +
          (sch.lastRun
            ? `; last ${sch.lastRun.outcome}${sch.lastRun.detail ? ` (${sch.lastRun.detail})` : ''}${sch.lastRun.at ? ` at ${sch.lastRun.at}` : ''}`
            : '') +
          (sch.deadLettered ? `; ${sch.deadLettered.count} dead-lettered${sch.deadLettered.error ? ` (${sch.deadLettered.error})` : ''}` : ''),
      );
  }
  if (s.runs.length) {
    lines.push('', 'One-off tasks running');
    for (const r of s.runs) lines.push(`  ${r.taskId.slice(0, 8)}  ${r.command}${r.startedAt ? `  since ${r.startedAt}` : ''}${r.by ? `  by ${r.by}` : ''}`);
  }
  if (s.database) {
    const d = s.database;
    lines.push('', `Database ${d.identifier}`);
    lines.push(`  latest manual snapshot: ${d.latestManual ? `${d.latestManual.id}${d.latestManual.at ? ` (${d.latestManual.at})` : ''}` : 'none'}`);
    lines.push(
      `  latest automated snapshot: ${d.latestAutomated ? `${d.latestAutomated.id}${d.latestAutomated.at ? ` (${d.latestAutomated.at})` : ''}` : 'none'}`,
    );
    for (const k of d.kept) lines.push(`  ${k.identifier} (kept after a restore; about $${k.monthlyUsd} a month until deploy-wizard db forget-old)`);
  }
  lines.push('', 'Steps');
  const w = Math.max(...s.steps.map((r) => r.id.length), 4);
  for (const st of s.steps) lines.push(`  ${st.id.padEnd(w)}  ${st.status.padEnd(7)}  ${st.at ?? ''}${st.error ? `  ${st.error}` : ''}`);
  lines.push('', s.problems.length ? `Degraded:\n${s.problems.map((p) => `  - ${p}`).join('\n')}` : 'Healthy.');
  return lines.join('\n') + '\n';
}
