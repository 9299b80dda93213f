import {
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DescribeBackupPolicyCommand,
  DescribeFileSystemPolicyCommand,
  DescribeLifecycleConfigurationCommand,
  DescribeMountTargetSecurityGroupsCommand,
  ModifyMountTargetSecurityGroupsCommand,
  PutBackupPolicyCommand,
  PutFileSystemPolicyCommand,
  PutLifecycleConfigurationCommand,
  UpdateFileSystemCommand,
  type AccessPointDescription,
  type FileSystemDescription,
} from '@aws-sdk/client-efs';
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { createHash } from 'node:crypto';
import type { StepContext } from '../../src/pipeline/context.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { ownedBy, ownershipTags, type Check, type PlanItem } from '../../src/pipeline/step.js';
import { StepError } from '../../src/errors.js';
import { isError } from '../../src/aws/not-found.js';
import { waitFor, type Poll } from '../../src/wait.js';
import { canonicalJson } from '../../src/canonical-json.js';
import { accessPoints, fileSystemToken, findFileSystem, mountTargets, removeAccessPoints, VOLUME_TAG, volumeOf } from '../../src/aws/efs.js';
import { fileSystemPolicy } from '../../src/aws/efs-policy.js';

export interface EfsOutput {
  fileSystemId: string;
  fileSystemArn: string;
  /** By volume name: the access point every mount of that volume goes through. */
  accessPoints: Record<string, { id: string; arn: string }>;
  /** The availability zones with a mount target. */
  zones: string[];
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    efs: EfsOutput;
  }
}

type Volume = StepContext['config']['volumes'][string];

const volumes = (ctx: StepContext) => Object.entries(ctx.config.volumes).sort(([a], [b]) => a.localeCompare(b));
const throughputMode = (ctx: StepContext) => volumes(ctx)[0]![1].efs.throughputMode;
const fsName = (ctx: StepContext) => `${ctx.app}-${ctx.env}`;

/** Files untouched for 30 days move to Infrequent Access, and back on first read (EFS's recommended lifecycle). */
const LIFECYCLE = [{ TransitionToIA: 'AFTER_30_DAYS' as const }, { TransitionToPrimaryStorageClass: 'AFTER_1_ACCESS' as const }];

/** What an access point for a volume is: its root directory and the POSIX user, both fixed at creation. */
function accessPointShape(name: string, v: Volume) {
  return {
    PosixUser: { Uid: v.efs.uid, Gid: v.efs.gid },
    RootDirectory: { Path: `/${name}`, CreationInfo: { OwnerUid: v.efs.uid, OwnerGid: v.efs.gid, Permissions: '750' } },
  };
}

const shapeKey = (ap: Pick<AccessPointDescription, 'PosixUser' | 'RootDirectory'>) =>
  canonicalJson({
    uid: ap.PosixUser?.Uid,
    gid: ap.PosixUser?.Gid,
    path: ap.RootDirectory?.Path,
    owner: [ap.RootDirectory?.CreationInfo?.OwnerUid, ap.RootDirectory?.CreationInfo?.OwnerGid, ap.RootDirectory?.CreationInfo?.Permissions],
  });

/**
 * The access point's client token: EFS answers a CreateAccessPoint that reuses one with the access point it made
 * (https://docs.aws.amazon.com/efs/latest/ug/API_CreateAccessPoint.html, "ClientToken"), so a run killed right
 * after the call makes no second one. Derived from the app, env, volume and shape: a changed shape is a new one.
 */
const accessPointToken = (ctx: StepContext, name: string, v: Volume) =>
  createHash('sha256')
    .update(canonicalJson([ctx.app, ctx.env, name, accessPointShape(name, v)]))
    .digest('hex')
    .slice(0, 64);

/** The one wait of this step's creates: EFS answers within a minute or two; polled from a second apart, given ten. */
const efsWait = <T>(ctx: StepContext, what: string, typical: string, poll: () => Promise<Poll<T>>) =>
  waitFor({
    stepId: 'efs',
    what,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: 10 * 60_000,
    firstDelayMs: 1_000,
    typical,
    onStatus: (l) => ctx.log.info(l),
    poll,
  });

async function ensureFileSystem(ctx: StepContext): Promise<FileSystemDescription> {
  let fs = await findFileSystem(ctx);
  if (fs && !ownedBy(ctx, fs.Tags)) {
    throw new StepError('efs', `adopt file system: ${fs.FileSystemId} has the creation token ${fileSystemToken(ctx)} but was not created by deploy-wizard`, {
      hint: `Tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} to let the wizard manage it, or delete it.`,
    });
  }
  if (!fs) {
    ctx.log.info(`creating EFS file system ${fsName(ctx)} (encrypted, ${throughputMode(ctx)} throughput, automatic backups)`);
    try {
      fs = await ctx.aws.efs.send(
        new CreateFileSystemCommand({
          CreationToken: fileSystemToken(ctx),
          Encrypted: true,
          PerformanceMode: 'generalPurpose',
          ThroughputMode: throughputMode(ctx),
          Backup: true,
          Tags: [...ownershipTags(ctx, 'efs'), { Key: 'Name', Value: fsName(ctx) }],
        }),
      );
    } catch (e) {
      // A run killed after the call, or an answer lost on the way back: the token finds what it made.
      if (!isError(e, 'FileSystemAlreadyExists')) throw e;
      fs = await findFileSystem(ctx);
    }
  }
  return efsWait(ctx, `EFS file system ${fs!.FileSystemId}`, 'under a minute', async () => {
    const cur = await findFileSystem(ctx);
    const state = cur?.LifeCycleState ?? 'missing';
    return { done: state === 'available', value: cur!, status: state, ...(state === 'error' ? { fatal: 'the file system is in the error state' } : {}) };
  });
}

/** Throughput mode, lifecycle, backups and the file system policy, each written only when it differs. */
async function converge(ctx: StepContext, fs: FileSystemDescription): Promise<string[]> {
  const changed: string[] = [];
  const id = fs.FileSystemId!;
  if (fs.ThroughputMode !== throughputMode(ctx)) {
    changed.push(`throughput ${fs.ThroughputMode} → ${throughputMode(ctx)}`);
    await ctx.aws.efs.send(new UpdateFileSystemCommand({ FileSystemId: id, ThroughputMode: throughputMode(ctx) }));
  }
  const lifecycle = (await ctx.aws.efs.send(new DescribeLifecycleConfigurationCommand({ FileSystemId: id }))).LifecyclePolicies ?? [];
  if (canonicalJson(lifecycle) !== canonicalJson(LIFECYCLE)) {
    changed.push('lifecycle: to Infrequent Access after 30 days');
    await ctx.aws.efs.send(new PutLifecycleConfigurationCommand({ FileSystemId: id, LifecyclePolicies: LIFECYCLE }));
  }
  const backup = await ctx.aws.efs.send(new DescribeBackupPolicyCommand({ FileSystemId: id })).catch((e) => {
    if (isError(e, 'PolicyNotFound')) return undefined;
    throw e;
  });
  if (backup?.BackupPolicy?.Status !== 'ENABLED' && backup?.BackupPolicy?.Status !== 'ENABLING') {
    changed.push('automatic backups on');
    await ctx.aws.efs.send(new PutBackupPolicyCommand({ FileSystemId: id, BackupPolicy: { Status: 'ENABLED' } }));
  }
  const want = JSON.stringify(fileSystemPolicy(fs.FileSystemArn!));
  const have = await ctx.aws.efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: id })).catch((e) => {
    if (isError(e, 'PolicyNotFound')) return undefined;
    throw e;
  });
  if (!have?.Policy || canonicalJson(JSON.parse(have.Policy)) !== canonicalJson(JSON.parse(want))) {
    changed.push('file system policy: TLS only, access through IAM grants only');
    await ctx.aws.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: id, Policy: want }));
  }
  return changed;
}

async function ensureMountTargets(ctx: StepContext, fs: FileSystemDescription): Promise<string[]> {
  const id = fs.FileSystemId!;
  const net = ctx.output('network');
  const sg = net.securityGroups.efs!;
  const have = await mountTargets(ctx, id);
  const other = have.find((m) => m.VpcId && m.VpcId !== net.vpcId);
  if (other)
    throw new StepError('efs', `mount targets: EFS ${id} has mount targets in ${other.VpcId}, and the app now runs in ${net.vpcId}`, {
      hint: 'A file system serves one VPC at a time. Run deploy-wizard destroy (the volume is kept) and deploy again, or put network back as it was.',
    });
  const zones = new Set(have.filter((m) => m.LifeCycleState !== 'deleting' && m.LifeCycleState !== 'deleted').map((m) => m.AvailabilityZoneName!));
  for (const subnet of await subnetsByZone(ctx, net.taskSubnetIds ?? net.subnetIds)) {
    if (zones.has(subnet.zone)) continue;
    ctx.log.info(`creating EFS mount target in ${subnet.subnetId} (${subnet.zone})`);
    try {
      await ctx.aws.efs.send(new CreateMountTargetCommand({ FileSystemId: id, SubnetId: subnet.subnetId, SecurityGroups: [sg] }));
    } catch (e) {
      // One per zone: a run killed after the call finds it there.
      if (!isError(e, 'MountTargetConflict')) throw e;
    }
    zones.add(subnet.zone);
  }
  // Each mount target admits NFS through the wizard's group alone.
  for (const mt of await mountTargets(ctx, id)) {
    const groups = (await ctx.aws.efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: mt.MountTargetId }))).SecurityGroups ?? [];
    if (groups.length !== 1 || groups[0] !== sg)
      await ctx.aws.efs.send(new ModifyMountTargetSecurityGroupsCommand({ MountTargetId: mt.MountTargetId, SecurityGroups: [sg] }));
  }
  await efsWait(ctx, `the mount targets of EFS ${id}`, '1-2 min', async () => {
    const left = (await mountTargets(ctx, id)).filter((m) => m.LifeCycleState !== 'available');
    return { done: !left.length, status: left.length ? `${left.length} ${left[0]!.LifeCycleState}` : 'available' };
  });
  return [...zones].sort();
}

/** The subnets' zones, one subnet each (the first listed). */
async function subnetsByZone(ctx: StepContext, ids: string[]): Promise<{ subnetId: string; zone: string }[]> {
  const subnets = (await ctx.aws.ec2.send(new DescribeSubnetsCommand({ SubnetIds: ids }))).Subnets ?? [];
  const byZone = new Map<string, string>();
  for (const id of ids) {
    const s = subnets.find((x) => x.SubnetId === id);
    if (s?.AvailabilityZone && !byZone.has(s.AvailabilityZone)) byZone.set(s.AvailabilityZone, id);
  }
  return [...byZone].map(([zone, subnetId]) => ({ subnetId, zone }));
}

async function ensureAccessPoints(ctx: StepContext, fs: FileSystemDescription): Promise<EfsOutput['accessPoints']> {
  const id = fs.FileSystemId!;
  const want = new Map(volumes(ctx));
  const have = await accessPoints(ctx, id);
  // Ours for a volume still in the config, with the shape it asks for; others go (the files stay on the file system).
  const fits = (ap: AccessPointDescription) => {
    const v = want.get(volumeOf(ap) ?? '');
    return !!v && ownedBy(ctx, ap.Tags) && shapeKey(ap) === shapeKey(accessPointShape(volumeOf(ap)!, v));
  };
  await removeAccessPoints(ctx, id, (ap) => fits(ap) || !ownedBy(ctx, ap.Tags));
  const out: EfsOutput['accessPoints'] = {};
  for (const [name, v] of want) {
    let ap = have.find((x) => volumeOf(x) === name && fits(x));
    if (!ap) {
      ctx.log.info(`creating EFS access point for volume ${name} (/${name}, uid ${v.efs.uid})`);
      ap = await ctx.aws.efs.send(
        new CreateAccessPointCommand({
          ClientToken: accessPointToken(ctx, name, v),
          FileSystemId: id,
          ...accessPointShape(name, v),
          Tags: [...ownershipTags(ctx, 'efs'), { Key: VOLUME_TAG, Value: name }, { Key: 'Name', Value: `${fsName(ctx)}-${name}` }],
        }),
      );
    }
    out[name] = { id: ap.AccessPointId!, arn: ap.AccessPointArn! };
  }
  return out;
}

export const efs: StepCode<'efs'> = {
  async inputs(ctx) {
    const net = ctx.output('network');
    return {
      volumes: volumes(ctx),
      subnets: net.taskSubnetIds ?? net.subnetIds,
      group: net.securityGroups.efs ?? null,
    };
  },

  async plan(ctx) {
    const fs = await findFileSystem(ctx);
    const items: PlanItem[] = [
      {
        action: fs ? 'keep' : 'create',
        resource: `EFS file system ${fsName(ctx)}${fs ? ` (${fs.FileSystemId})` : ''}`,
        detail: `encrypted, ${throughputMode(ctx)} throughput, to Infrequent Access after 30 days, automatic backups, a mount target per task zone`,
        ...(fs && fs.ThroughputMode !== throughputMode(ctx) ? { changes: [`throughputMode: ${fs.ThroughputMode} → ${throughputMode(ctx)}`] } : {}),
      },
    ];
    const have = fs ? await accessPoints(ctx, fs.FileSystemId!) : [];
    for (const [name, v] of volumes(ctx)) {
      const ap = have.find((x) => volumeOf(x) === name);
      const same = ap && shapeKey(ap) === shapeKey(accessPointShape(name, v));
      items.push({
        action: !ap ? 'create' : same ? 'keep' : 'update',
        resource: `EFS access point for volume ${name}`,
        detail: `/${name} as uid ${v.efs.uid}:${v.efs.gid}${ap && !same ? ' (made again: an access point cannot change; the files stay)' : ''}`,
      });
    }
    for (const ap of have.filter((x) => ownedBy(ctx, x.Tags) && !ctx.config.volumes[volumeOf(x) ?? '']))
      items.push({
        action: 'delete',
        resource: `EFS access point ${ap.AccessPointId}`,
        detail: `volume ${volumeOf(ap)} is no longer in the config; its files stay`,
      });
    return items;
  },

  async apply(ctx) {
    const fs = await ensureFileSystem(ctx);
    const changed = await converge(ctx, fs);
    if (changed.length) ctx.log.info(`EFS ${fs.FileSystemId}: ${changed.join(', ')}`);
    const zones = await ensureMountTargets(ctx, fs);
    return { fileSystemId: fs.FileSystemId!, fileSystemArn: fs.FileSystemArn!, accessPoints: await ensureAccessPoints(ctx, fs), zones };
  },

  async verify(ctx, out) {
    const fs = await findFileSystem(ctx);
    const aps = fs ? await accessPoints(ctx, fs.FileSystemId!) : [];
    const checks: Check[] = [{ name: `EFS file system ${fsName(ctx)}`, ok: fs?.FileSystemId === out.fileSystemId && fs.LifeCycleState === 'available' }];
    for (const [name] of volumes(ctx))
      checks.push({ name: `access point for volume ${name}`, ok: !!out.accessPoints[name] && aps.some((a) => a.AccessPointId === out.accessPoints[name]!.id) });
    return checks;
  },

  summary(out) {
    return { rows: [['Volumes', `${Object.keys(out.accessPoints).join(', ')} on EFS ${out.fileSystemId}`]] };
  },
};
