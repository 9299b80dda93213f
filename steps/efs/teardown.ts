import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, type DestroyOptions, type Teardown } from '../../src/pipeline/step.js';
import { deleteFileSystem, findFileSystem, mountTargets, removeAccessPoints, removeMountTargets } from '../../src/aws/efs.js';
import { EFS_BACKUP_GB_MONTH, EFS_STANDARD_GB_MONTH, pricesFor, round } from '../../src/pricing.js';

/**
 * A volume is data: the file system stays (with its files and backups) unless --delete-data, and a later deploy
 * of the same app and env finds it again by its creation token. What only connects it to this deployment goes:
 * the access points (the files under them stay) and the mount targets, whose network interfaces would hold the
 * security group and the subnets.
 */
export async function destroyEfs(ctx: StepContext, o: DestroyOptions): Promise<Teardown[]> {
  const fs = await findFileSystem(ctx);
  if (!fs || !ownedBy(ctx, fs.Tags) || fs.LifeCycleState === 'deleted' || fs.LifeCycleState === 'deleting') return [];
  const id = fs.FileSystemId!;
  const items: Teardown[] = [];
  if ((await mountTargets(ctx, id)).length)
    items.push({
      resource: `EFS mount targets and access points of ${id}`,
      remove: async () => {
        await removeAccessPoints(ctx, id, (ap) => !ownedBy(ctx, ap.Tags));
        await removeMountTargets(ctx, id);
      },
    });
  const gb = (fs.SizeInBytes?.Value ?? 0) / 1024 ** 3;
  const resource = `EFS file system ${fs.Name || id} (${id}, ${gb < 0.01 ? 'under 0.01' : gb.toFixed(2)} GB)`;
  if (!o.deleteData)
    items.push({
      resource,
      keep: "it holds the volumes' files; deploy again to use them, or destroy --delete-data to delete them",
      monthly: round(gb * (EFS_STANDARD_GB_MONTH + EFS_BACKUP_GB_MONTH) * pricesFor(ctx.region).p.rdsFactor),
    });
  else items.push({ resource, remove: () => deleteFileSystem(ctx, id) });
  return items;
}
