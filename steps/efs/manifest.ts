import { defineStep } from '../../src/pipeline/manifest.js';
import { EFS_BACKUP_GB_MONTH, EFS_ELASTIC_READ_GB, EFS_ELASTIC_WRITE_GB, EFS_STANDARD_GB_MONTH, pricesFor, round } from '../../src/pricing.js';

export const manifest = defineStep({
  id: 'efs',
  title: 'Create the EFS file system and its access points (volumes)',
  dependsOn: ['network'],
  enabled: (c) => Object.keys(c.volumes).length > 0,
  grants: [
    {
      // EFS gives file systems, mount targets and access points generated ids; the wizard finds its own by
      // creation token and tags.
      sid: 'Volumes',
      calls: [
        'EFS:DescribeFileSystems',
        'EFS:CreateFileSystem',
        'EFS:UpdateFileSystem',
        'EFS:DeleteFileSystem',
        'EFS:DescribeLifecycleConfiguration',
        'EFS:PutLifecycleConfiguration',
        'EFS:DescribeBackupPolicy',
        'EFS:PutBackupPolicy',
        'EFS:DescribeFileSystemPolicy',
        'EFS:PutFileSystemPolicy',
        'EFS:DescribeMountTargets',
        'EFS:CreateMountTarget',
        'EFS:DeleteMountTarget',
        'EFS:DescribeMountTargetSecurityGroups',
        'EFS:ModifyMountTargetSecurityGroups',
        'EFS:DescribeAccessPoints',
        'EFS:CreateAccessPoint',
        'EFS:DeleteAccessPoint',
        'EC2:DescribeSubnets',
      ],
      // Tagging on create; a mount target makes a network interface in the subnet, with the group
      // (https://docs.aws.amazon.com/efs/latest/ug/API_CreateMountTarget.html, "Permissions").
      actions: [
        'elasticfilesystem:TagResource',
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeVpcs',
        'ec2:DescribeNetworkInterfaceAttribute',
        'ec2:ModifyNetworkInterfaceAttribute',
      ],
      on: '*',
    },
  ],
  cost(config) {
    const vols = Object.values(config.volumes);
    const gb = vols.reduce((n, v) => n + v.efs.assumedSizeGb, 0);
    const f = pricesFor(config.region).p.rdsFactor;
    const elastic = vols[0]?.efs.throughputMode === 'elastic';
    // Elastic throughput bills what moves: assume each month the volumes are read twice over and written once.
    const throughput = elastic ? gb * (2 * EFS_ELASTIC_READ_GB + EFS_ELASTIC_WRITE_GB) : 0;
    return [
      {
        component: 'EFS volumes',
        size: `${vols.length} volume(s), ${gb} GB assumed, ${elastic ? 'elastic (each GB read twice, written once a month)' : 'bursting'}, backups`,
        monthly: round(gb * (EFS_STANDARD_GB_MONTH + EFS_BACKUP_GB_MONTH) * f + throughput),
      },
    ];
  },
  load: async () => (await import('./apply.js')).efs,
  loadTeardown: async () => (await import('./teardown.js')).destroyEfs,
});
