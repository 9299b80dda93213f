import { bool, str, type Command } from './command.js';
import { PREVIEW_NAME, PREVIEW_NAME_RULE } from '../preview/preview-name.js';
import { parseDuration } from '../parse-duration.js';

const SUBS = ['up', 'plan', 'down', 'list', 'prune'] as const;

export const preview: Command = {
  name: 'preview',
  overview: `  preview up|plan|down|list|prune [NAME]  an environment per pull request on the previews' parent env`,
  help: `Usage: deploy-wizard preview SUBCOMMAND [NAME] [flags]

A preview runs some of the app's services (previews.services, one small task
each) at NAME.<previews.domain>, sharing the parent env's (previews.from)
network, cluster, load balancer, cache and database instance, with a secret,
roles, routes and a database of its own. Its state is beside the parent's
(<parent>--NAME).

  preview up NAME [--data-from OTHER] [--schema-only]
      makes the preview, or brings it up to date with this checkout (the next
      push of the pull request runs the same). Its database (previews.database):
      clone, a copy of the parent's made once by pg_dump | pg_restore in a task
      inside the VPC, owned by the preview's own role; empty, then migrated;
      shared, the parent's, read-only. Resumable: run it again after a failure.
  preview plan NAME
      read-only: what preview up would make or change, and the preview's monthly
      cost (its tasks; the rest is the parent's)
  preview down NAME [--no-keep]
      removes what the preview owns: its services, routes, target groups, task
      definitions, roles, secret and database, dropped after a pg_dump -Fc of it
      is kept in the parent's transfer bucket under previews/NAME/ for
      previews.ttlDays days (unless --no-keep); never anything of the
      parent's, nor its images (the parent's repositories keep the last 20)
  preview list
      the previews that are up, with their URL, age and monthly cost
  preview prune [--older-than 7d]
      takes down every preview not brought up for that long (default
      previews.ttlDays days)

  --data-from OTHER   up, with database "clone": copy preview OTHER's database
                      instead of the parent's
  --schema-only       up, with database "clone": copy the schema, no rows
  --older-than AGE    prune: 12h, 7d... (default previews.ttlDays days)
  --no-keep           down and prune: drop the database without keeping a dump`,
  flags: {
    'data-from': { type: 'string', sub: 'up' },
    'schema-only': { type: 'boolean', sub: 'up' },
    'older-than': { type: 'string', sub: 'prune' },
    'no-keep': { type: 'boolean', of: 'preview down and prune' },
  },
  check: (v, rest) => {
    const [sub, ...args] = rest;
    if (!sub || !(SUBS as readonly string[]).includes(sub))
      return [`preview ${sub ?? ''}: name a subcommand: ${SUBS.join(', ')}`.replace('preview : ', 'preview: ')];
    const problems: string[] = [];
    const named = sub === 'up' || sub === 'plan' || sub === 'down';
    if (named && !args.length) problems.push(`preview ${sub}: name the preview, such as pr-42`);
    if (named && args[0] !== undefined && !PREVIEW_NAME.test(args[0])) problems.push(`preview ${sub} ${args[0]}: ${PREVIEW_NAME_RULE}`);
    if (args.length > (named ? 1 : 0)) problems.push(`preview ${sub}: unexpected ${args.slice(named ? 1 : 0).join(' ')}`);
    const from = str(v, 'data-from');
    if (from !== undefined && !PREVIEW_NAME.test(from)) problems.push(`--data-from ${from}: ${PREVIEW_NAME_RULE}`);
    if (from !== undefined && bool(v, 'schema-only')) problems.push('--data-from and --schema-only: pick one');
    if (bool(v, 'no-keep') && sub !== 'down' && sub !== 'prune') problems.push(`--no-keep: a flag of preview down and prune, not of preview ${sub}`);
    const older = str(v, 'older-than');
    if (older !== undefined && parseDuration(older) === undefined) problems.push(`--older-than ${older}: a duration such as 12h or 7d`);
    return problems;
  },
  options: (v) => ({
    preview: {
      envGiven: typeof v.env === 'string',
      dataFrom: str(v, 'data-from'),
      schemaOnly: bool(v, 'schema-only'),
      olderThan: str(v, 'older-than'),
      noKeep: bool(v, 'no-keep'),
    },
  }),
  run: async (opts, io, rest) => {
    const [sub, name] = rest;
    const m = await import('../commands/preview.js');
    const f = opts.preview ?? { envGiven: false };
    if (sub === 'up') return m.previewUp(opts, io, name, f);
    if (sub === 'plan') return m.previewUp(opts, io, name, f, true);
    if (sub === 'down') return m.previewDown(opts, io, name, f);
    if (sub === 'list') return m.previewList(opts, io, f);
    return m.previewPrune(opts, io, f);
  },
};
