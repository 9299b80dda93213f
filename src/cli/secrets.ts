import { bool, type Command } from './command.js';

export const secrets: Command = {
  name: 'secrets',
  overview: '  secrets set KEY store one asked value and roll the services that read it\n  secrets list    key names, sources and when each last changed',
  help: `Usage: deploy-wizard secrets set KEY | deploy-wizard secrets list [flags]

set KEY   store a value for KEY in the app secret: a masked prompt on a
          terminal, otherwise read from stdin (printf %s "$V" | ... set KEY);
          then deploy, which rolls every service that reads KEY so its
          tasks get the new value
          --no-deploy  only store it: the next deploy rolls those services
list      every key: where it comes from (generated, asked, derived) and
          when it last changed. Never prints values.
rotate origin-verify
          a new value for the header CloudFront sends the load balancer (a site
          in front of web services): the routes accept old and new while the
          CDN moves to the new one, then the new one alone (two deploys)`,
  flags: { 'no-deploy': { type: 'boolean', sub: 'set' } },
  options: (v) => ({ noDeploy: !!bool(v, 'no-deploy') }),
  run: async (opts, io, rest) => (await import('../commands/secrets.js')).secretsCommand(opts, io, rest),
};
