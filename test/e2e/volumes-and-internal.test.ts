import { describe, expect, inject, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeAccessPointsCommand,
  DescribeBackupPolicyCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeLifecycleConfigurationCommand,
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
} from '@aws-sdk/client-efs';
import {
  CreateServiceCommand,
  ListNamespacesCommand,
  ListTagsForResourceCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { makeApp, makeExampleApp, readState, runCli } from '../helpers/cli.js';
import { motoWithGapsFilled } from '../helpers/moto-gaps.js';
import { startAwsProxy } from '../helpers/aws-proxy.js';
import { mutatingCalls, recordedDeploy } from '../helpers/recorded-deploy.js';
import { allows } from '../../src/ci/deploy-policy.js';
import { boundaryPolicy } from '../../src/aws/app-roles.js';
import { parseConfig } from '../../src/config/load-config.js';

// The seed runbook's bmo-learning (fixtures/examples/whole-apps/bmo-learning.json): Rails with Sidekiq as a
// sidecar behind the load balancer, an AI service reached only by the API (Service Connect), keeping its Chroma
// vector store on an EFS volume. moto answers EFS and Cloud Map; it does not echo a service's
// serviceConnectConfiguration back (AWS reports it on the service's deployments), so that is read from what was
// sent, and the wizard keeps what it set in its state, as it does for enableExecuteCommand and capacity.
const region = 'us-east-2';
const efs = new EFSClient({ region });
const sd = new ServiceDiscoveryClient({ region });
const ec2 = new EC2Client({ region });
const ecs = new ECSClient({ region });
const iam = new IAMClient({ region });

async function fileSystems(app: string) {
  return (await efs.send(new DescribeFileSystemsCommand({ CreationToken: `${app}-prod` }))).FileSystems ?? [];
}
async function namespaces(app: string) {
  return ((await sd.send(new ListNamespacesCommand({}))).Namespaces ?? []).filter((n) => n.Name === `${app}-prod.internal`);
}
async function inlinePolicy(role: string) {
  const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
  const doc = (await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: names[0] }))).PolicyDocument!;
  return JSON.parse(decodeURIComponent(doc));
}
const taskDefinition = async (arn: string) => (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition!;

describe('volumes (EFS) and internal services (Service Connect), the bmo-learning shape', () => {
  it('deploys the file system, access point, mount targets and namespace; mounts and grants exactly that volume; converges when they are removed; destroy keeps the files', async () => {
    const { dir, app, secrets } = makeExampleApp('whole-apps/bmo-learning');
    const first = await recordedDeploy(dir, secrets);
    expect(first.code, `${first.error?.message} ${(first.error as any)?.hint ?? ''}`).toBe(0);
    const state = readState(dir);

    // The file system: one, encrypted, elastic, tagged, to IA after 30 days, backed up, TLS-only and IAM-only.
    const [fs, ...twins] = await fileSystems(app);
    expect(twins).toEqual([]);
    expect(fs).toMatchObject({ Encrypted: true, ThroughputMode: 'elastic', PerformanceMode: 'generalPurpose' });
    expect(fs!.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'deploy-wizard:app', Value: app },
        { Key: 'deploy-wizard:env', Value: 'prod' },
      ]),
    );
    const id = fs!.FileSystemId!;
    expect((await efs.send(new DescribeLifecycleConfigurationCommand({ FileSystemId: id }))).LifecyclePolicies).toEqual([
      { TransitionToIA: 'AFTER_30_DAYS' },
      { TransitionToPrimaryStorageClass: 'AFTER_1_ACCESS' },
    ]);
    expect((await efs.send(new DescribeBackupPolicyCommand({ FileSystemId: id }))).BackupPolicy?.Status).toBe('ENABLED');
    const fsPolicy = JSON.parse((await efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: id }))).Policy!);
    // Evaluated: nothing over plain NFS; and the resource policy alone allows nothing (only the task roles do).
    expect(fsPolicy.Statement.filter((s: any) => s.Effect === 'Allow')).toEqual([]);
    expect(
      allows({ Statement: fsPolicy.Statement.map((s: any) => ({ ...s, Action: [s.Action].flat() })) }, 'elasticfilesystem:ClientMount', fs!.FileSystemArn!, {
        'aws:SecureTransport': 'false',
      }),
    ).toBe(false);

    // One mount target per availability zone the tasks run in, each admitting NFS through the wizard's group only.
    const net = state.steps.network.outputs;
    const taskZones = new Set(((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: net.taskSubnetIds }))).Subnets ?? []).map((s) => s.AvailabilityZone));
    const targets = (await efs.send(new DescribeMountTargetsCommand({ FileSystemId: id }))).MountTargets ?? [];
    expect(new Set(targets.map((t) => t.AvailabilityZoneName))).toEqual(taskZones);
    expect(targets).toHaveLength(taskZones.size);
    for (const t of targets)
      expect((await efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: t.MountTargetId }))).SecurityGroups).toEqual([
        net.securityGroups.efs,
      ]);
    const efsGroup = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [net.securityGroups.efs] }))).SecurityGroups![0]!;
    expect(efsGroup.IpPermissions!.map((p) => [p.FromPort, p.UserIdGroupPairs?.map((u) => u.GroupId)])).toEqual([[2049, [net.securityGroups.tasks]]]);

    // The volume's access point: its own root directory, owned by the POSIX user every access acts as.
    const aps = (await efs.send(new DescribeAccessPointsCommand({ FileSystemId: id }))).AccessPoints ?? [];
    expect(aps).toHaveLength(1);
    const ap = aps[0]!;
    expect(ap.RootDirectory).toMatchObject({ Path: '/chroma', CreationInfo: { OwnerUid: 1000, OwnerGid: 1000, Permissions: '750' } });
    expect(ap.PosixUser).toMatchObject({ Uid: 1000, Gid: 1000 });

    // The ai task definition mounts it through the access point, with TLS and IAM authorization.
    const tds = state.steps['task-definition'].outputs.services;
    const ai = await taskDefinition(tds.ai.taskDefinitionArn);
    expect(ai.volumes).toEqual([
      {
        name: 'chroma',
        efsVolumeConfiguration: expect.objectContaining({
          fileSystemId: id,
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId: ap.AccessPointId, iam: 'ENABLED' },
        }),
      },
    ]);
    expect(ai.containerDefinitions![0]!.mountPoints).toEqual([{ sourceVolume: 'chroma', containerPath: '/mnt/efs/chroma', readOnly: false }]);

    // Its own task role may mount and write that file system through that access point, and nothing else; the
    // api's role (the app's shared one) may not mount at all. Evaluated with the conditions, as IAM does.
    expect(ai.taskRoleArn).toMatch(new RegExp(`role/${app}-prod-ai-task$`));
    const aiPolicy = await inlinePolicy(`${app}-prod-ai-task`);
    const through = (apArn: string) => ({ 'elasticfilesystem:AccessPointArn': apArn });
    const norm = (p: any) => ({ Statement: p.Statement.map((s: any) => ({ ...s, Action: [s.Action].flat() })) });
    expect(allows(norm(aiPolicy), 'elasticfilesystem:ClientMount', fs!.FileSystemArn!, through(ap.AccessPointArn!))).toBe(true);
    expect(allows(norm(aiPolicy), 'elasticfilesystem:ClientWrite', fs!.FileSystemArn!, through(ap.AccessPointArn!))).toBe(true);
    expect(allows(norm(aiPolicy), 'elasticfilesystem:ClientMount', fs!.FileSystemArn!, through(ap.AccessPointArn!.replace(/fsap-\w+/, 'fsap-0other')))).toBe(
      false,
    );
    expect(allows(norm(aiPolicy), 'elasticfilesystem:ClientMount', fs!.FileSystemArn!, {})).toBe(false);
    expect(allows(norm(aiPolicy), 'elasticfilesystem:ClientRootAccess', fs!.FileSystemArn!, through(ap.AccessPointArn!))).toBe(false);
    const api = await taskDefinition(tds.api.taskDefinitionArn);
    const apiPolicy = await inlinePolicy(api.taskRoleArn!.split('/').pop()!);
    expect(allows(norm(apiPolicy), 'elasticfilesystem:ClientMount', fs!.FileSystemArn!, through(ap.AccessPointArn!))).toBe(false);
    // The boundary (written from the config alone, before the file system exists) allows it only on a file system of this app and env.
    const config = parseConfig(readFileSync(join(dir, 'deploy-wizard.json'), 'utf8'), 'deploy-wizard.json', 'prod');
    const boundary = norm(boundaryPolicy({ app, env: 'prod', account: '123456789012', region, config }));
    const tagged = (a: string, e: string) => ({ 'aws:ResourceTag/deploy-wizard:app': a, 'aws:ResourceTag/deploy-wizard:env': e });
    expect(allows(boundary, 'elasticfilesystem:ClientMount', fs!.FileSystemArn!, tagged(app, 'prod'))).toBe(true);
    expect(allows(boundary, 'elasticfilesystem:ClientMount', fs!.FileSystemArn!, tagged(app, 'staging'))).toBe(false);
    expect(allows(boundary, 'elasticfilesystem:ClientMount', fs!.FileSystemArn!, tagged(`${app}x`, 'prod'))).toBe(false);

    // Service Connect: the namespace, ours; every service joins it and each one with a port is published by name.
    const [ns, ...moreNs] = await namespaces(app);
    expect(moreNs).toEqual([]);
    expect((await sd.send(new ListTagsForResourceCommand({ ResourceARN: ns!.Arn }))).Tags).toEqual(
      expect.arrayContaining([{ Key: 'deploy-wizard:app', Value: app }]),
    );
    const created = Object.fromEntries(first.calls.filter((c) => c.name === 'ECS:CreateService').map((c) => [c.input.serviceName, c.input]));
    expect(created[`${app}-ai`].serviceConnectConfiguration).toEqual({
      enabled: true,
      namespace: ns!.Arn,
      services: [{ portName: 'ai', discoveryName: 'ai', clientAliases: [{ port: 8000, dnsName: 'ai' }] }],
    });
    expect(created[`${app}-ai`].loadBalancers).toBeUndefined();
    expect(created[`${app}-api`].serviceConnectConfiguration.services[0]).toMatchObject({ portName: 'api', clientAliases: [{ port: 3000, dnsName: 'api' }] });
    // Every container gets the others' addresses; the ports are named for Service Connect.
    for (const c of [...api.containerDefinitions!, ...ai.containerDefinitions!]) {
      const env = Object.fromEntries(c.environment!.map((e) => [e.name, e.value]));
      expect(env, c.name).toMatchObject({ AI_URL: 'http://ai:8000', API_URL: 'http://api:3000' });
    }
    expect(api.containerDefinitions![0]!.portMappings).toEqual([expect.objectContaining({ containerPort: 3000, name: 'api', appProtocol: 'http' })]);
    // The api task keeps Rails and Sidekiq, each logging under its own prefix.
    expect(api.containerDefinitions!.map((c) => [c.name, c.command?.join(' ') ?? null])).toEqual([
      [app, null],
      ['sidekiq', 'bundle exec sidekiq'],
    ]);
    // The proxies reach each other's ports: tasks admit the service ports from tasks.
    const tasksGroup = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [net.securityGroups.tasks] }))).SecurityGroups![0]!;
    const fromTasks = tasksGroup.IpPermissions!.filter((p) => p.UserIdGroupPairs?.some((u) => u.GroupId === net.securityGroups.tasks)).map((p) => p.FromPort);
    expect(fromTasks.sort()).toEqual([3000, 8000]);
    expect(state.steps.service.outputs.services.ai.kind).toBe('internal');
    expect(state.steps['load-balancer'].outputs.targetGroups.ai).toBeUndefined();

    const again = await recordedDeploy(dir, secrets);
    expect(again.code).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);

    // status names each address and its endpoints' health. moto's deployments name no Service Connect resources;
    // ECS's do (serviceConnectResources: the Cloud Map service it registered the name in), answered here as the
    // ECS API reference has it, with an endpoint registered in moto's Cloud Map.
    const cm = (await sd.send(new CreateServiceCommand({ Name: 'ai', NamespaceId: ns!.Id, HealthCheckCustomConfig: {} }))).Service!;
    await sd.send(new RegisterInstanceCommand({ ServiceId: cm.Id, InstanceId: 'task-1', Attributes: { AWS_INSTANCE_IPV4: '10.0.0.1' } }));
    const withResources = await startAwsProxy(inject('standins').env.AWS_ENDPOINT_URL!, (r) =>
      r.service === 'ecs' && r.action === 'DescribeServices'
        ? {
            rewrite: (status, body) => {
              if (status !== 200) return body;
              const doc = JSON.parse(body);
              for (const svc of doc.services ?? [])
                if (svc.serviceName === `${app}-ai`)
                  for (const d of svc.deployments ?? [])
                    if (d.status === 'PRIMARY') d.serviceConnectResources = [{ discoveryName: 'ai', discoveryArn: cm.Arn }];
              return JSON.stringify(doc);
            },
          }
        : 'pass',
    );
    const status = await runCli(['status'], { cwd: dir, env: { ...secrets, AWS_ENDPOINT_URL: withResources.url } });
    await withResources.close();
    expect(status.stdout).toMatch(/ai +internal .*http:\/\/ai:8000 \(1\/1 endpoints healthy\)/);
    expect(status.stdout).toMatch(/api +web .*http:\/\/api:3000 \(Service Connect\)/);

    // The ai service loses its mount and becomes a worker: no internal service is left, so Service Connect goes.
    const path = join(dir, 'deploy-wizard.json');
    const edit = (f: (c: any) => void) => {
      const c = JSON.parse(readFileSync(path, 'utf8'));
      f(c);
      writeFileSync(path, JSON.stringify(c));
    };
    edit((c) => {
      delete c.services.ai.mounts;
      delete c.services.ai.internal;
      delete c.services.ai.port;
    });
    const plain = await recordedDeploy(dir, secrets, { yes: true });
    expect(plain.code, `${plain.error?.message} ${(plain.error as any)?.hint ?? ''}`).toBe(0);
    const updates = Object.fromEntries(plain.calls.filter((c) => c.name === 'ECS:UpdateService').map((c) => [c.input.service, c.input]));
    expect(updates[`${app}-ai`].serviceConnectConfiguration).toEqual({ enabled: false });
    expect(updates[`${app}-api`].serviceConnectConfiguration).toEqual({ enabled: false });
    expect(await namespaces(app)).toEqual([]);
    const aiPlain = await taskDefinition(readState(dir).steps['task-definition'].outputs.services.ai.taskDefinitionArn);
    expect(aiPlain.volumes ?? []).toEqual([]);
    expect(aiPlain.containerDefinitions![0]!.environment!.map((e) => e.name)).not.toContain('AI_URL');
    // Its own role (there only for the volume) is gone; the volume itself stays, it is still in the config.
    await expect(iam.send(new GetRoleCommand({ RoleName: `${app}-prod-ai-task` }))).rejects.toThrow(/cannot be found|NoSuchEntity|not found/);
    expect(await fileSystems(app)).toHaveLength(1);

    // The volume leaves the config: what connects it goes, its files stay.
    edit((c) => delete c.volumes);
    const noVolumes = await recordedDeploy(dir, secrets, { yes: true });
    expect(noVolumes.code, noVolumes.stderr).toBe(0);
    expect(await fileSystems(app)).toHaveLength(1);
    expect((await efs.send(new DescribeMountTargetsCommand({ FileSystemId: id }))).MountTargets).toEqual([]);
    expect(mutatingCalls((await recordedDeploy(dir, secrets)).names)).toEqual([]);

    // Back again: the same file system (found by its creation token), with its mount targets and access point.
    edit((c) => {
      c.volumes = { chroma: { efs: {} } };
      c.services.ai.mounts = { '/mnt/efs/chroma': 'chroma' };
    });
    expect((await recordedDeploy(dir, secrets)).code).toBe(0);
    expect((await fileSystems(app)).map((f) => f.FileSystemId)).toEqual([id]);

    // destroy keeps the files (and says what they cost); --delete-data deletes them.
    const gaps = await motoWithGapsFilled();
    const kept = await runCli(['destroy', '--non-interactive', '--yes', '--force'], { cwd: dir, env: { ...secrets, ...gaps.env } });
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout + kept.stderr).toMatch(new RegExp(`EFS file system ${app}-prod \\(${id}`));
    expect((await fileSystems(app)).map((f) => f.FileSystemId)).toEqual([id]);
    expect((await efs.send(new DescribeMountTargetsCommand({ FileSystemId: id }))).MountTargets).toEqual([]);
    const gone = await runCli(['destroy', '--non-interactive', '--yes', '--force', '--delete-data', '--skip-final-snapshot'], {
      cwd: dir,
      env: { ...secrets, ...gaps.env },
    });
    expect(gone.code, gone.stderr).toBe(0);
    expect(await fileSystems(app)).toEqual([]);
  });

  it('a run killed right after creating the namespace, the file system, a mount target or the access point resumes with no second one', async () => {
    const { dir, app } = makeApp((c) => {
      c.region = region;
      c.services = {
        web: { ...c.service, routes: ['/*'] },
        ai: { port: 8080, internal: true, cpu: 256, memory: 512, mounts: { '/data': 'store' } },
      };
      delete c.service;
      c.volumes = { store: { efs: { throughputMode: 'bursting' } } };
    });
    // In the order the pipeline reaches them: the namespace has no dependency, the file system waits for the network.
    for (const call of ['ServiceDiscovery:CreateHttpNamespace', 'EFS:CreateFileSystem', 'EFS:CreateMountTarget', 'EFS:CreateAccessPoint']) {
      const killed = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: call } });
      expect(killed.signal, `${call}: ${killed.stderr.slice(-1500)}`).toBe('SIGKILL');
    }
    const done = await runCli(['deploy', '--non-interactive'], { cwd: dir });
    expect(done.code, done.stderr).toBe(0);
    expect(await namespaces(app)).toHaveLength(1);
    const [fs, ...twins] = await fileSystems(app);
    expect(twins).toEqual([]);
    expect((await efs.send(new DescribeAccessPointsCommand({ FileSystemId: fs!.FileSystemId }))).AccessPoints).toHaveLength(1);
    const zones = ((await efs.send(new DescribeMountTargetsCommand({ FileSystemId: fs!.FileSystemId }))).MountTargets ?? []).map((m) => m.AvailabilityZoneName);
    expect(zones.length).toBeGreaterThan(1);
    expect(new Set(zones).size).toBe(zones.length);
  });
});
