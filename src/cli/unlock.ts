import type { Command } from './command.js';

export const unlock: Command = {
  name: 'unlock',
  overview: '  unlock ID       break a stale lock',
  help: `Usage: deploy-wizard unlock ID [flags]

Breaks the state lock with this ID, left by a run that is gone. The ID is
in the "locked" error message.`,
  run: async (opts, io, rest) => (await import('../commands/unlock.js')).unlockCommand(opts, io, rest[0]),
};
