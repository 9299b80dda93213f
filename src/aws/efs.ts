import {
  DeleteAccessPointCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DescribeAccessPointsCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  type AccessPointDescription,
  type FileSystemDescription,
  type MountTargetDescription,
} from '@aws-sdk/client-efs';
import type { StepContext } from '../pipeline/context.js';
import { waitGone } from './wait-gone.js';
import { isError } from './not-found.js';

// The app's one EFS file system (every volume is an access point on it), found by its creation token: EFS's own
// idempotency key, so a create whose answer was lost, or a run killed after it, finds the same file system again
// (https://docs.aws.amazon.com/efs/latest/ug/API_CreateFileSystem.html, "CreationToken").

/** The creation token of this app and env's file system: `<app>-<env>` (1-64 characters). */
export const fileSystemToken = (ctx: { app: string; env: string }) => `${ctx.app}-${ctx.env}`.slice(0, 64);

/** The tag that names which volume an access point serves. */
export const VOLUME_TAG = 'deploy-wizard:volume';

export async function findFileSystem(ctx: Pick<StepContext, 'aws' | 'app' | 'env'>): Promise<FileSystemDescription | undefined> {
  const res = await ctx.aws.efs.send(new DescribeFileSystemsCommand({ CreationToken: fileSystemToken(ctx) }));
  return res.FileSystems?.[0];
}

export async function mountTargets(ctx: Pick<StepContext, 'aws'>, fileSystemId: string): Promise<MountTargetDescription[]> {
  return (await ctx.aws.efs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets ?? [];
}

export async function accessPoints(ctx: Pick<StepContext, 'aws'>, fileSystemId: string): Promise<AccessPointDescription[]> {
  const out: AccessPointDescription[] = [];
  let NextToken: string | undefined;
  do {
    const res = await ctx.aws.efs.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId, NextToken }));
    out.push(...(res.AccessPoints ?? []));
    NextToken = res.NextToken;
  } while (NextToken);
  return out;
}

/** The volume an access point serves, from its tag. */
export const volumeOf = (ap: AccessPointDescription) => ap.Tags?.find((t) => t.Key === VOLUME_TAG)?.Value;

/**
 * Removes the mount targets (and waits until they are gone: their network interfaces hold the security group,
 * and a file system with mount targets cannot be deleted). The files stay: they are the file system's.
 */
export async function removeMountTargets(ctx: StepContext, fileSystemId: string): Promise<void> {
  for (const mt of await mountTargets(ctx, fileSystemId)) {
    if (mt.LifeCycleState === 'deleted' || mt.LifeCycleState === 'deleting') continue;
    ctx.log.info(`deleting EFS mount target ${mt.MountTargetId} (${mt.AvailabilityZoneName})`);
    await ctx.aws.efs.send(new DeleteMountTargetCommand({ MountTargetId: mt.MountTargetId })).catch((e) => {
      if (!isError(e, 'MountTargetNotFound')) throw e;
    });
  }
  await waitGone(ctx, {
    stepId: 'efs',
    what: `the mount targets of EFS ${fileSystemId}`,
    deadlineMs: 10 * 60_000,
    typical: '1-2 min',
    find: async () => {
      const left = (await mountTargets(ctx, fileSystemId)).filter((m) => m.LifeCycleState !== 'deleted');
      return left.length ? { status: `${left.length} ${left[0]!.LifeCycleState}` } : undefined;
    },
  });
}

/** Removes the access points of the file system that `keep` rejects. */
export async function removeAccessPoints(ctx: StepContext, fileSystemId: string, keep: (ap: AccessPointDescription) => boolean = () => false): Promise<void> {
  for (const ap of await accessPoints(ctx, fileSystemId)) {
    if (keep(ap)) continue;
    ctx.log.info(`deleting EFS access point ${ap.AccessPointId}${volumeOf(ap) ? ` (volume ${volumeOf(ap)})` : ''}`);
    await ctx.aws.efs.send(new DeleteAccessPointCommand({ AccessPointId: ap.AccessPointId })).catch((e) => {
      if (!isError(e, 'AccessPointNotFound')) throw e;
    });
  }
}

/** Deletes the file system and every file in it (destroy --delete-data): its mount targets must be gone first. */
export async function deleteFileSystem(ctx: StepContext, fileSystemId: string): Promise<void> {
  await removeAccessPoints(ctx, fileSystemId);
  await removeMountTargets(ctx, fileSystemId);
  ctx.log.info(`deleting EFS file system ${fileSystemId} and its files`);
  await ctx.aws.efs.send(new DeleteFileSystemCommand({ FileSystemId: fileSystemId })).catch((e) => {
    if (!isError(e, 'FileSystemNotFound')) throw e;
  });
  await waitGone(ctx, {
    stepId: 'efs',
    what: `EFS file system ${fileSystemId}`,
    deadlineMs: 10 * 60_000,
    typical: '1 min',
    find: async () => {
      const res = await ctx.aws.efs.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId })).catch((e) => {
        if (isError(e, 'FileSystemNotFound')) return { FileSystems: [] };
        throw e;
      });
      const fs = res.FileSystems?.[0];
      return fs && fs.LifeCycleState !== 'deleted' ? { status: fs.LifeCycleState } : undefined;
    },
  });
}
