import { APPLY_IMMEDIATELY, APPLY_IMMEDIATELY_HELP, SKIP_MIGRATIONS, SKIP_MIGRATIONS_HELP, bool, str, type Command } from './command.js';
import { INIT_FLAGS, initOptions } from './init.js';

export const deploy: Command = {
  name: 'deploy',
  overview: '  deploy          (default) provision, push, deploy; resumes a failed run',
  help: `Usage: deploy-wizard [deploy] [flags]

Provisions everything deploy-wizard.json describes and deploys the app.
On a terminal it asks for what is missing (writing the config on first run),
shows the plan and the monthly cost, and asks before changing anything.
If a step fails, run the same command again: it resumes there.

${APPLY_IMMEDIATELY_HELP}
${SKIP_MIGRATIONS_HELP}
  --images-from ENV    promote: run exactly the images ENV runs (copied into this
                       env's repositories by digest, no build) instead of
                       building from the context`,
  flags: { ...INIT_FLAGS, ...APPLY_IMMEDIATELY, ...SKIP_MIGRATIONS, 'images-from': { type: 'string', of: 'deploy' } },
  options: (v) => ({
    ...initOptions(v),
    ...(bool(v, 'apply-immediately') ? { applyImmediately: true } : {}),
    ...(bool(v, 'skip-migrations') ? { skipMigrations: true } : {}),
    ...(str(v, 'images-from') ? { imagesFrom: str(v, 'images-from') } : {}),
  }),
  run: async (opts, io) => (await import('../commands/deploy.js')).deployCommand(opts, io),
};
