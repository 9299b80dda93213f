import { describe, expect, it } from 'vitest';
import { CreateDBInstanceCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { rds } from '../../steps/rds/apply.js';
import { MUTATING } from '../helpers/step-context.js';
import { StepError } from '../../src/errors.js';
import { DATABASE, withNetwork } from '../helpers/with-network.js';

describe('rds against moto', () => {
  it('stores the password first and creates a private, encrypted, protected instance', async () => {
    const calls: string[] = [];
    const { ctx, app, net } = await withNetwork(
      { database: { ...DATABASE, backupRetentionDays: 3 } },
      { onCall: (c) => calls.push(`${c.service}:${c.command}`) },
    );
    calls.length = 0;
    const out = await rds.apply(ctx);
    expect(calls.indexOf('SecretsManager:CreateSecret')).toBeLessThan(calls.indexOf('RDS:CreateDBInstance'));
    const inst = (await ctx.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${app}-prod` }))).DBInstances![0]!;
    expect(inst).toMatchObject({
      Engine: 'postgres',
      EngineVersion: '16.4',
      DBInstanceClass: 'db.t4g.micro',
      AllocatedStorage: 20,
      StorageType: 'gp3',
      StorageEncrypted: true,
      PubliclyAccessible: false,
      BackupRetentionPeriod: 3,
      CopyTagsToSnapshot: true,
      DeletionProtection: true,
      DBName: 'app_db',
    });
    expect(inst.VpcSecurityGroups!.map((g) => g.VpcSecurityGroupId)).toEqual([net.securityGroups.db]);
    const master = JSON.parse((await ctx.aws.secrets.send(new GetSecretValueCommand({ SecretId: out.masterSecretArn }))).SecretString!);
    expect(master.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(JSON.stringify(out)).not.toContain(master.password);

    // Again: no mutating call, no new master secret version, the same password.
    calls.length = 0;
    const versionsBefore = (await ctx.aws.secrets.send(new ListSecretVersionIdsCommand({ SecretId: out.masterSecretArn }))).Versions!.length;
    await rds.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c.split(':')[1]!))).toEqual([]);
    expect((await ctx.aws.secrets.send(new ListSecretVersionIdsCommand({ SecretId: out.masterSecretArn }))).Versions!.length).toBe(versionsBefore);
    expect(JSON.parse((await ctx.aws.secrets.send(new GetSecretValueCommand({ SecretId: out.masterSecretArn }))).SecretString!).password).toBe(master.password);
    expect((await rds.verify(ctx, out)).every((c) => c.ok)).toBe(true);
  });

  it('modifies a changed class, refuses to shrink storage, and plans both without calls', async () => {
    const calls: string[] = [];
    const { ctx, app } = await withNetwork({ database: DATABASE }, { env: 'staging', onCall: (c) => calls.push(c.command) });
    await rds.apply(ctx);
    const inst0 = (await ctx.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${app}-staging` }))).DBInstances![0]!;
    expect(inst0.DeletionProtection).toBe(false); // only prod is protected

    ctx.config.database!.instanceClass = 'db.t4g.small';
    ctx.config.database!.allocatedStorageGb = 30;
    calls.length = 0;
    expect(await rds.plan(ctx)).toEqual([expect.objectContaining({ action: 'update', detail: 'class db.t4g.micro → db.t4g.small, storage 20 → 30 GB' })]);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
    await rds.apply(ctx);
    expect(calls).toContain('ModifyDBInstance');
    const inst = (await ctx.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${app}-staging` }))).DBInstances![0]!;
    expect([inst.DBInstanceClass, inst.AllocatedStorage]).toEqual(['db.t4g.small', 30]);

    ctx.config.database!.allocatedStorageGb = 20;
    calls.length = 0;
    await expect(rds.apply(ctx)).rejects.toThrow(/allocatedStorageGb is 20 GB but the instance has 30 GB; RDS storage can only grow/);
    expect(calls).not.toContain('ModifyDBInstance');
  });

  it('refuses an instance of the same name that is not ours', async () => {
    const { ctx, app } = await withNetwork({ database: DATABASE });
    await ctx.aws.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: `${app}-prod`,
        Engine: 'postgres',
        DBInstanceClass: 'db.t4g.micro',
        AllocatedStorage: 20,
        MasterUsername: 'someone',
        MasterUserPassword: 'theirs-123456',
      }),
    );
    const err = await rds.apply(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toBe(`adopt database: RDS instance ${app}-prod exists but was not created by deploy-wizard`);
  });
});
