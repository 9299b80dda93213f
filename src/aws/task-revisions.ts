import { ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import type { AwsClients } from './clients.js';

/** The ACTIVE revisions of exactly this family, ascending (familyPrefix also matches longer family names). */
export async function familyRevisions(aws: Pick<AwsClients, 'ecs'>, family: string, signal?: AbortSignal): Promise<number[]> {
  const revs: number[] = [];
  let token: string | undefined;
  do {
    const res = await aws.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', nextToken: token }), { abortSignal: signal });
    for (const arn of res.taskDefinitionArns ?? []) {
      const m = /task-definition\/(.+):(\d+)$/.exec(arn);
      if (m && m[1] === family) revs.push(Number(m[2]));
    }
    token = res.nextToken;
  } while (token);
  return revs.sort((a, b) => a - b);
}

/**
 * Which revision a rollback goes to: the one named, which must be ACTIVE in
 * the family; else the newest one older than what runs now. The task
 * definition step registers a revision only when something changed, so the
 * one before is the previous release.
 */
export function rollbackTarget(revisions: readonly number[], current: number, to?: number): { revision: number } | { problem: string } {
  if (to !== undefined) {
    if (to === current) return { problem: `it already runs revision ${to}` };
    if (!revisions.includes(to)) return { problem: `revision ${to} is not an active revision (active: ${revisions.join(', ') || 'none'})` };
    return { revision: to };
  }
  const older = revisions.filter((r) => r < current);
  if (!older.length) return { problem: `no active revision older than ${current} to go back to` };
  return { revision: older[older.length - 1]! };
}
