import { bool, type Command } from './command.js';

export const destroy: Command = {
  name: 'destroy',
  overview: `  destroy         remove the app's resources; keeps the data unless --delete-data`,
  help: `Usage: deploy-wizard destroy [flags]

Removes what deploy-wizard created for this app and env, in reverse order,
and only resources carrying its tags. Shows what goes and what stays first,
then asks you to type the app name (--yes skips that, except for the prod
env, which also needs --force). By default the data stays: the database (a
final snapshot is taken, deletion protection stays on), buckets holding
objects, the secrets and the user pool. It ends with what was kept and what
it still costs. Killed or failed? Run it again: it resumes.

  --delete-data          remove the data too (the database after a final snapshot)
  --skip-final-snapshot  with --delete-data: no final snapshot
  --force                destroy prod with --yes, without typing the name`,
  flags: { 'delete-data': { type: 'boolean' }, 'skip-final-snapshot': { type: 'boolean' }, force: { type: 'boolean' } },
  options: (v) => ({ destroy: { deleteData: !!bool(v, 'delete-data'), skipFinalSnapshot: !!bool(v, 'skip-final-snapshot'), force: !!bool(v, 'force') } }),
  run: async (opts, io) => (await import('../commands/destroy.js')).destroyCommand(opts, io),
};
