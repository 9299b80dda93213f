import { InputError } from '../errors.js';
import type { Deployment } from '../with-deployment.js';
import type { StepOutputs } from '../pipeline/step.js';

/** The database the state records, or exit 2 saying why there is none. */
export function deployedDatabase(d: Deployment): StepOutputs['rds'] & { kept?: string[] } {
  if (!d.loaded.config.database) throw new InputError('db: this app has no database', ['database: add it to the config and deploy, then use db']);
  const rds = d.state.steps.rds?.outputs as (StepOutputs['rds'] & { kept?: string[] }) | undefined;
  if (!rds) throw new InputError('db: the database is not deployed yet', [], { hint: 'Run deploy-wizard deploy first.' });
  return rds;
}
