import { str, bool, type Command, type Flags, type Values } from './command.js';
import type { InitFlags } from '../options.js';

const of = "init (and of deploy's first run)";
/** init's answers as flags; deploy takes them too (`deploy-wizard --app x` on a repo without a config runs init first). */
export const INIT_FLAGS: Flags = {
  app: { type: 'string', of },
  dockerfile: { type: 'string', of },
  port: { type: 'string', of },
  'health-path': { type: 'string', of },
  with: { type: 'string', of },
  buckets: { type: 'string', of },
  'bucket-prefix': { type: 'string', of },
  generate: { type: 'string', of },
  ask: { type: 'string', of },
  optional: { type: 'string', of },
  skip: { type: 'string', of },
  single: { type: 'boolean', of },
  domain: { type: 'string', of },
  zone: { type: 'string', of },
  site: { type: 'string', of },
  spa: { type: 'boolean', of },
};

/** The init answers given as flags, or nothing when none was. */
export function initOptions(v: Values): { init?: InitFlags } {
  if (!Object.keys(INIT_FLAGS).some((k) => v[k] !== undefined)) return {};
  return {
    init: {
      app: str(v, 'app'),
      dockerfile: str(v, 'dockerfile'),
      port: str(v, 'port'),
      healthPath: str(v, 'health-path'),
      with: str(v, 'with'),
      buckets: str(v, 'buckets'),
      bucketPrefix: str(v, 'bucket-prefix'),
      generate: str(v, 'generate'),
      ask: str(v, 'ask'),
      optional: str(v, 'optional'),
      skip: str(v, 'skip'),
      single: bool(v, 'single'),
      domain: str(v, 'domain'),
      zone: str(v, 'zone'),
      site: str(v, 'site'),
      spa: bool(v, 'spa'),
    },
  };
}

export const init: Command = {
  name: 'init',
  overview: '  init            only the questions: writes deploy-wizard.json',
  help: `Usage: deploy-wizard init [flags]

Writes deploy-wizard.json from what the repo says (Procfile or
docker-compose.yml services, Dockerfiles, the framework's port and health
path, the data stores and keys in .env.example), asking on a terminal to
confirm each answer; changes nothing on AWS. With --non-interactive it asks
nothing and writes the repo's answers and the flags below.

Answers as flags:
  --app NAME             app name
  --dockerfile PATH      the Dockerfile of a single service
  --port N               the port the web service listens on
  --health-path PATH     its health check path
  --single               one web service even when the repo lists several processes
  --with LIST            database,cache,buckets,cognito (or none)
  --buckets LIST         bucket names;  --bucket-prefix PREFIX  their prefix
  --generate LIST        secret keys to generate once
  --ask LIST             secret keys to ask for at deploy (CI: env vars)
  --optional LIST        keys to ask for that may stay empty
  --skip LIST            keys from .env.example to leave out
  --domain NAME          serve the app at NAME over HTTPS;  --zone ZONE  its Route 53
                         zone (default: NAME without its first label)
  --site DIR             a built static frontend to serve from the CDN;  --spa  it
                         routes on the client (unknown paths answer index.html)`,
  flags: INIT_FLAGS,
  options: initOptions,
  run: async (opts, io) => (await import('../commands/init.js')).initCommand(opts, io),
};
