/**
 * What moto cannot play: an instance busy with a backup, a modification
 * accepted now and applied minutes later, an engine AWS upgraded by itself.
 * The named commands go to the fake; everything else (secrets, subnet
 * groups) to the real stand-in.
 */
export function fakeOn(ctx: any, client: 'rds' | 'elasticache', handlers: Record<string, (input: any) => any>) {
  const real = ctx.aws[client];
  const calls: { name: string; input: any }[] = [];
  const fake = {
    send: async (cmd: any, opts?: any) => {
      const name = cmd.constructor.name.replace(/Command$/, '');
      calls.push({ name, input: cmd.input });
      return handlers[name] ? handlers[name](cmd.input) : real.send(cmd, opts);
    },
  };
  const aws = ctx.aws;
  ctx.aws = new Proxy(aws, { get: (t: any, p) => (p === client ? fake : t[p]) });
  return calls;
}

export const tags = (app: string) => [
  { Key: 'deploy-wizard:app', Value: app },
  { Key: 'deploy-wizard:env', Value: 'prod' },
];
