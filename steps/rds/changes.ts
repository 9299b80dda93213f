import type { DBInstance, ModifyDBInstanceMessage } from '@aws-sdk/client-rds';
import type { Config } from '../../src/config/schema.js';
import { versionParts, versionStanding } from '../../src/aws/engine-version.js';
import { StepError } from '../../src/errors.js';

// What changing each database key does to a running instance, as "Settings
// for DB instances" tells it
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.Settings.html):
// when RDS applies it (now, or in the maintenance window unless
// ApplyImmediately; some always at once), and what the app feels (downtime,
// a failover on Multi-AZ, a brief outage, or nothing).

export type Impact = 'none' | 'downtime' | 'failover' | 'brief outage';

export interface Change {
  /** As the plan shows it: "class db.t4g.micro → db.t4g.small". */
  label: string;
  input: Partial<ModifyDBInstanceMessage>;
  /** RDS applies it at once (or as soon as possible) whatever ApplyImmediately says. */
  immediate: boolean;
  impact: Impact;
  /** A major version upgrade: AllowMajorVersionUpgrade, and a snapshot first like any downtime. */
  major?: true;
}

type Database = NonNullable<Config['database']>;

/** Deletion protection as configured, else on for prod. */
export const wantDeletionProtection = (d: Database, env: string) => d.deletionProtection ?? env === 'prod';

/** What must change on an existing instance; throws for changes RDS cannot make. A change already pending counts as made. */
export function instanceChanges(d: Database, env: string, inst: DBInstance): Change[] {
  const out: Change[] = [];
  const pending = inst.PendingModifiedValues ?? {};
  const multiAz = pending.MultiAZ ?? inst.MultiAZ ?? false;
  const cls = pending.DBInstanceClass ?? inst.DBInstanceClass;
  if (cls !== d.instanceClass)
    // On Multi-AZ the standby is changed first and the downtime is the failover to it.
    out.push({
      label: `class ${cls} → ${d.instanceClass}`,
      input: { DBInstanceClass: d.instanceClass },
      immediate: false,
      impact: multiAz ? 'failover' : 'downtime',
    });
  const have = pending.AllocatedStorage ?? inst.AllocatedStorage ?? 0;
  if (d.allocatedStorageGb < have) {
    throw new StepError(
      'rds',
      `modify database: database.allocatedStorageGb is ${d.allocatedStorageGb} GB but the instance has ${have} GB; RDS storage can only grow`,
      {
        hint: `Set database.allocatedStorageGb to ${have} or more.`,
      },
    );
  }
  if (d.allocatedStorageGb > have)
    out.push({ label: `storage ${have} → ${d.allocatedStorageGb} GB`, input: { AllocatedStorage: d.allocatedStorageGb }, immediate: false, impact: 'none' });
  const version = versionChange(d.engineVersion, pending.EngineVersion ?? inst.EngineVersion ?? '0', 'RDS');
  if (version)
    out.push({ label: version.label, input: version.input, immediate: false, impact: 'downtime', ...(version.major ? { major: true as const } : {}) });
  if (multiAz !== d.multiAz)
    out.push({ label: `Multi-AZ ${multiAz ? 'on → off' : 'off → on'}`, input: { MultiAZ: d.multiAz }, immediate: false, impact: 'none' });
  // RDS reports no MaxAllocatedStorage while autoscaling is off; setting it to the allocated storage turns it off.
  const ceiling = inst.MaxAllocatedStorage && inst.MaxAllocatedStorage > have ? inst.MaxAllocatedStorage : undefined;
  if (ceiling !== d.maxAllocatedStorageGb && !(ceiling === undefined && d.maxAllocatedStorageGb === undefined))
    out.push({
      label: `storage autoscaling ${ceiling ? `up to ${ceiling} GB` : 'off'} → ${d.maxAllocatedStorageGb ? `up to ${d.maxAllocatedStorageGb} GB` : 'off'}`,
      input: { MaxAllocatedStorage: d.maxAllocatedStorageGb ?? Math.max(have, d.allocatedStorageGb) },
      immediate: true,
      impact: 'none',
    });
  const retention = pending.BackupRetentionPeriod ?? inst.BackupRetentionPeriod ?? 0;
  if (retention !== d.backupRetentionDays) {
    // Turning automated backups on or off restarts the instance; between two non-zero values it is applied as soon as possible.
    const flip = (retention === 0) !== (d.backupRetentionDays === 0);
    out.push({
      label: `backup retention ${retention} → ${d.backupRetentionDays} days`,
      input: { BackupRetentionPeriod: d.backupRetentionDays },
      immediate: !flip,
      impact: flip ? 'brief outage' : 'none',
    });
  }
  if (d.backupWindow !== undefined && inst.PreferredBackupWindow !== d.backupWindow)
    out.push({
      label: `backup window ${inst.PreferredBackupWindow ?? 'none'} → ${d.backupWindow}`,
      input: { PreferredBackupWindow: d.backupWindow },
      immediate: true,
      impact: 'none',
    });
  const maint = d.maintenanceWindow?.toLowerCase();
  if (maint !== undefined && inst.PreferredMaintenanceWindow?.toLowerCase() !== maint)
    out.push({
      label: `maintenance window ${inst.PreferredMaintenanceWindow ?? 'none'} → ${maint}`,
      input: { PreferredMaintenanceWindow: maint },
      immediate: true,
      impact: 'none',
    });
  const protect = wantDeletionProtection(d, env);
  if (!!inst.DeletionProtection !== protect)
    out.push({ label: `deletion protection ${protect ? 'off → on' : 'on → off'}`, input: { DeletionProtection: protect }, immediate: true, impact: 'none' });
  if (!!inst.PerformanceInsightsEnabled !== d.performanceInsights)
    out.push({
      label: `Performance Insights ${d.performanceInsights ? 'off → on' : 'on → off'}`,
      input: { EnablePerformanceInsights: d.performanceInsights },
      immediate: true,
      impact: 'none',
    });
  return out;
}

/** When a change takes effect, for the plan: now, or in the maintenance window. */
export function whenOf(c: Change, applyNow: boolean, inst: DBInstance | undefined): string {
  if (c.immediate || applyNow) return 'now';
  return `in the maintenance window${inst?.PreferredMaintenanceWindow ? ` (${inst.PreferredMaintenanceWindow} UTC)` : ''}`;
}

const IMPACT: Record<Impact, string> = {
  none: 'no downtime',
  downtime: 'downtime while the instance restarts',
  failover: 'a failover to the standby (about a minute)',
  'brief outage': 'a brief outage while the instance restarts',
};

/** The plan's line for one change: what, when, and what the app feels; a snapshot first where it means downtime. */
export const changeLine = (c: Change, applyNow: boolean, inst: DBInstance | undefined) =>
  `${c.label}: ${whenOf(c, applyNow, inst)}, ${IMPACT[c.impact]}${needsSnapshot(c) ? ' (a manual snapshot is taken first)' : ''}`;

/**
 * The change from the running engine version to the configured one, or undefined when it is met (a newer minor
 * AWS applied by itself is not drift). Older than what runs is refused: neither RDS nor Aurora downgrades.
 */
export function versionChange(want: string, running: string, engine: 'RDS' | 'Aurora') {
  const standing = versionStanding(want, running);
  if (standing === 'downgrade')
    throw new StepError('rds', `modify database: database.engineVersion ${want} is older than the running ${running}; ${engine} cannot downgrade`, {
      hint: `Set database.engineVersion to ${running.split('.')[0]} (any minor of it) or later.`,
    });
  if (standing === 'met') return undefined;
  const major = versionParts(want)[0] > versionParts(running)[0];
  return { label: `version ${running} → ${want}`, input: { EngineVersion: want, ...(major ? { AllowMajorVersionUpgrade: true } : {}) }, major };
}

/** Downtime, a brief outage or a major version: a manual snapshot first, so there is a way back. */
export const needsSnapshot = (c: Change) => c.impact === 'downtime' || c.impact === 'brief outage' || !!c.major;
