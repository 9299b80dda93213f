import { describe, expect, it } from 'vitest';
import { makeApp, runCli } from '../helpers/cli.js';
import { recordedDeploy, mutatingCalls } from '../helpers/recorded-deploy.js';
import { stepContext } from '../helpers/step-context.js';
import { network } from '../../steps/network/apply.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { vpcWith } from '../helpers/vpc.js';

describe('networking that passes on moto but would fail on AWS is refused before anything is created', () => {
  it('private subnets with no NAT route and no VPC endpoints: exit 2 naming the endpoints, zero mutating calls', async () => {
    const { vpc, ids } = await vpcWith([
      { az: 'us-east-1a', public: true },
      { az: 'us-east-1b', public: true },
      { az: 'us-east-1a', public: false },
      { az: 'us-east-1b', public: false },
    ]);
    const { dir } = makeApp((c) => (c.network = { vpcId: vpc, subnetIds: ids }));
    const r = await recordedDeploy(dir);
    expect(r.code).toBe(2);
    expect(mutatingCalls(r.names)).toEqual([]);
    expect(existsSync(join(dir, '.deploy-wizard', 'prod.state.json'))).toBe(false);
    const cli = await runCli(['deploy', '--non-interactive'], { cwd: dir });
    expect(cli.code).toBe(2);
    // Tasks get no public IP when any subnet is private, so the public ones are stranded too.
    expect(cli.stderr).toMatch(/network\.subnetIds: (subnet-\w+, ){3}subnet-\w+ have no route to a NAT gateway/);
    for (const id of ids) expect(cli.stderr).toContain(id);
    expect(cli.stderr).toContain('com.amazonaws.us-east-1.ecr.dkr');
    expect(cli.stderr).toContain('Nothing has been created');
  });

  it('the same private subnets pass once the VPC has the endpoints tasks need', async () => {
    const { vpc, ids } = await vpcWith(
      [
        { az: 'us-east-1a', public: true },
        { az: 'us-east-1b', public: true },
        { az: 'us-east-1a', public: false },
      ],
      { endpoints: ['ecr.api', 'ecr.dkr', 's3', 'logs', 'secretsmanager'] },
    );
    const { ctx } = stepContext({ network: { vpcId: vpc, subnetIds: ids } });
    expect(await network.preflight!(ctx)).toEqual([]);
  });

  it('public subnets in one AZ only (however many) are refused: the load balancer needs two AZs', async () => {
    const { vpc, ids } = await vpcWith([
      { az: 'us-east-1a', public: true },
      { az: 'us-east-1a', public: true },
      { az: 'us-east-1b', public: false },
    ]);
    const { ctx } = stepContext({ network: { vpcId: vpc, subnetIds: ids } });
    const problems = await network.preflight!(ctx);
    expect(problems.join('\n')).toMatch(/load balancer needs public subnets .* in two availability zones; these subnets have public ones in 1/);
  });
});
