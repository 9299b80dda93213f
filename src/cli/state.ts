import { str, type Command } from './command.js';

export const state: Command = {
  name: 'state',
  overview: '  state init|push|pull  shared state in S3 for a team and CI',
  help: `Usage: deploy-wizard state init | push | pull [flags]

Shared state in S3, for a team and CI: every checkout reads and writes one
object per app and env, with conditional writes and a leased lock.

init   creates (or checks) the state bucket: versioning, encryption, Block
       Public Access, earlier versions kept 90 days; prints the config lines
       --bucket NAME   default deploy-wizard-state-ACCOUNT-REGION
       --prefix P      a key prefix such as ledger/
push   moves this env's local state into S3 (refused when the S3 state is
       newer); the local file is kept, renamed
pull   writes a copy of the S3 state for reading
       --out PATH      default .deploy-wizard/ENV.state.pulled.json`,
  flags: { bucket: { type: 'string', sub: 'init' }, prefix: { type: 'string', sub: 'init' }, out: { type: 'string', sub: 'pull' } },
  options: (v) => ({ state: { bucket: str(v, 'bucket'), prefix: str(v, 'prefix'), out: str(v, 'out') } }),
  run: async (opts, io, rest) => (await import('../commands/state.js')).stateCommand(opts, io, rest),
};
