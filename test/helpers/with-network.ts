import { network } from '../../steps/network/apply.js';
import { stepContext } from './step-context.js';

export const DATABASE = { name: 'app_db', engineVersion: '16.4', instanceClass: 'db.t4g.micro', allocatedStorageGb: 20, extensions: ['vector'] };

/** A context whose `output('network')` is a real network step's result. */
export async function withNetwork(edit: Record<string, unknown>, opts: Parameters<typeof stepContext>[1] = {}) {
  const t = stepContext(edit, opts);
  const net = await network.apply(t.ctx);
  t.ctx.output = (<T>(id: string) => {
    if (id !== 'network') throw new Error(id);
    return net as T;
  }) as typeof t.ctx.output;
  return { ...t, net };
}
