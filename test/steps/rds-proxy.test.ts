import { describe, expect, it } from 'vitest';
import { DescribeDBProxiesCommand, DescribeDBProxyTargetsCommand, ModifyDBProxyCommand } from '@aws-sdk/client-rds';
import { GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { network } from '../../steps/network/apply.js';
import { rds } from '../../steps/rds/apply.js';
import { rdsProxy } from '../../steps/rds-proxy/apply.js';
import { destroyProxy } from '../../steps/rds-proxy/teardown.js';
import { secrets } from '../../steps/secrets/apply.js';
import { manifest } from '../../steps/rds-proxy/manifest.js';
import { boundaryPolicy } from '../../src/aws/app-roles.js';
import { allows } from '../../src/ci/deploy-policy.js';
import { runTeardowns } from '../../src/pipeline/removed-steps.js';
import { MUTATING, stepContext } from '../helpers/step-context.js';
import { DATABASE } from '../helpers/with-network.js';
import { secretJson } from '../helpers/read-back.js';

const decode = (doc: string | undefined) => JSON.parse(decodeURIComponent(doc!));

describe('database.proxy: RDS Proxy in front of the instance', () => {
  it('makes the proxy in the data subnets with its own group and role, targets the instance, and DATABASE_URL names the proxy', async () => {
    const calls: string[] = [];
    const { ctx, app } = stepContext({ database: { ...DATABASE, proxy: true } }, { onCall: (c) => calls.push(c.command) });
    const net = await network.apply(ctx);
    expect(net.securityGroups.proxy).toMatch(/^sg-/);
    // The database admits the tasks (the setup task, DATABASE_DIRECT_URL) and the proxy; the proxy admits the tasks.
    const groups = (await ctx.aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [net.securityGroups.db!, net.securityGroups.proxy!] })))
      .SecurityGroups!;
    const sources = (id: string) =>
      groups.find((g) => g.GroupId === id)!.IpPermissions!.flatMap((p) => p.UserIdGroupPairs!.map((u) => `${p.FromPort}:${u.GroupId}`));
    expect(sources(net.securityGroups.db!).sort()).toEqual([`5432:${net.securityGroups.proxy}`, `5432:${net.securityGroups.tasks}`].sort());
    expect(sources(net.securityGroups.proxy!)).toEqual([`5432:${net.securityGroups.tasks}`]);

    let outputs: Record<string, unknown> = { network: net };
    ctx.output = ((id: string) => outputs[id]) as typeof ctx.output;
    const db = await rds.apply(ctx);
    outputs = { ...outputs, rds: db };
    expect((await rdsProxy.plan(ctx)).map((i) => `${i.action} ${i.resource}`)).toEqual([
      `create IAM role ${app}-prod-rds-proxy`,
      `create RDS Proxy ${app}-prod`,
    ]);
    const out = await rdsProxy.apply(ctx);
    outputs = { ...outputs, 'rds-proxy': out };

    const p = (await ctx.aws.rds.send(new DescribeDBProxiesCommand({ DBProxyName: `${app}-prod` }))).DBProxies![0]!;
    expect(p).toMatchObject({ EngineFamily: 'POSTGRESQL', RequireTLS: true, RoleArn: out.roleArn, VpcSecurityGroupIds: [net.securityGroups.proxy] });
    expect([...p.VpcSubnetIds!].sort()).toEqual([...(net.dataSubnetIds ?? net.subnetIds)].sort());
    expect(p.Auth!.map((a) => a.SecretArn).sort()).toEqual([db.appSecretArn, db.masterSecretArn].sort());
    const targets = (await ctx.aws.rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: `${app}-prod` }))).Targets!;
    expect(targets.map((t) => [t.RdsResourceId, t.Type])).toEqual([[db.identifier, 'RDS_INSTANCE']]);

    // The role: assumable by RDS of this account only, reading exactly the two credentials, under the app's boundary.
    const role = (await ctx.aws.iam.send(new GetRoleCommand({ RoleName: `${app}-prod-rds-proxy` }))).Role!;
    expect(role.PermissionsBoundary?.PermissionsBoundaryArn).toBe(`arn:aws:iam::123456789012:policy/${app}-prod-boundary`);
    expect(decode(role.AssumeRolePolicyDocument).Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'rds.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } }),
    ]);
    const inline = decode(
      (await ctx.aws.iam.send(new GetRolePolicyCommand({ RoleName: `${app}-prod-rds-proxy`, PolicyName: 'deploy-wizard' }))).PolicyDocument,
    );
    expect(inline.Statement).toEqual([expect.objectContaining({ Action: ['secretsmanager:GetSecretValue'], Resource: [db.appSecretArn, db.masterSecretArn] })]);
    // Those reads sit inside the boundary the CI role writes roles under; another env's secret does not.
    const boundary = boundaryPolicy({ app, env: 'prod', account: '123456789012', region: 'us-east-1', config: ctx.config });
    for (const arn of [db.appSecretArn!, db.masterSecretArn]) expect(allows(boundary as never, 'secretsmanager:GetSecretValue', arn)).toBe(true);
    expect(allows(boundary as never, 'secretsmanager:GetSecretValue', db.masterSecretArn.replace('/prod/', '/staging/'))).toBe(false);

    // The app connects through the proxy; DATABASE_DIRECT_URL reaches the instance.
    await secrets.apply(ctx);
    const value = await secretJson(`${app}/prod`);
    expect(new URL(value.DATABASE_URL).host).toBe(`${out.endpoint}:5432`);
    expect(new URL(value.DATABASE_DIRECT_URL).host).toBe(`${db.endpoint}:${db.port}`);
    expect(new URL(value.DATABASE_URL).username).toBe(`${app}_app`);

    calls.length = 0;
    expect(await rdsProxy.apply(ctx)).toEqual(out);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
    expect((await rdsProxy.verify!(ctx, out)).filter((c) => !c.ok)).toEqual([]);
    expect(manifest.cost!(ctx.config)[0]).toMatchObject({ component: 'RDS Proxy', size: '2 vCPUs of db.t4g.micro', monthly: 21.9 });

    const items = await destroyProxy(ctx);
    expect(items.map((t) => t.resource)).toEqual([`RDS Proxy ${app}-prod`, `IAM role ${app}-prod-rds-proxy`]);
    await runTeardowns(items, 'destroy', { deleted: () => {} });
    expect(await destroyProxy(ctx)).toEqual([]);
  }, 60_000);

  it('a proxy whose credentials drifted is modified in one call (moto has no ModifyDBProxy: answered here as AWS documents it)', async () => {
    const { ctx } = stepContext({ database: { ...DATABASE, proxy: true } });
    const net = await network.apply(ctx);
    let outputs: Record<string, unknown> = { network: net };
    ctx.output = ((id: string) => outputs[id]) as typeof ctx.output;
    const db = await rds.apply(ctx);
    // A proxy made with the master credentials only (as if the application role's were taken off by hand).
    outputs = { ...outputs, rds: { ...db, appSecretArn: undefined } };
    await rdsProxy.apply(ctx);
    outputs = { ...outputs, rds: db };
    const sent: ModifyDBProxyCommand['input'][] = [];
    const real = ctx.aws.rds.send.bind(ctx.aws.rds);
    // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBProxy.html: returns the proxy as changed.
    ctx.aws.rds.send = (async (cmd: any) => {
      if (cmd instanceof ModifyDBProxyCommand) {
        sent.push(cmd.input);
        return { DBProxy: {} };
      }
      return real(cmd);
    }) as typeof ctx.aws.rds.send;
    await rdsProxy.apply(ctx);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.Auth!.map((a) => a.SecretArn).sort()).toEqual([db.appSecretArn, db.masterSecretArn].sort());
    expect(sent[0]).toMatchObject({ RequireTLS: true, SecurityGroups: [net.securityGroups.proxy] });
  }, 60_000);
});
