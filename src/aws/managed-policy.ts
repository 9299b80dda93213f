import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListPolicyVersionsCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { canonicalJson } from '../canonical-json.js';
import { isError, unlessNotFound } from './not-found.js';

/** IAM's limit on a managed policy document, in characters without whitespace. */
export const MANAGED_POLICY_LIMIT = 6_144;
/** A managed policy keeps at most five versions. */
const MAX_VERSIONS = 5;

const decode = (doc: string | undefined) => (doc ? (JSON.parse(decodeURIComponent(doc)) as unknown) : undefined);

/**
 * A customer managed policy at `arn` holding `doc`: created (with `tags`), or
 * given `doc` as a new default version when its default differs, the oldest
 * non-default version deleted first when five exist. Reads only when it is
 * already right. Returns what changed.
 */
export async function ensureManagedPolicy(
  iam: IAMClient,
  o: { arn: string; name: string; doc: object; description: string; tags: { Key: string; Value: string }[] },
): Promise<'created' | 'updated' | undefined> {
  const text = JSON.stringify(o.doc);
  let policy = (await unlessNotFound(iam.send(new GetPolicyCommand({ PolicyArn: o.arn })), 'NoSuchEntityException', 'NoSuchEntity'))?.Policy;
  if (!policy) {
    try {
      await iam.send(new CreatePolicyCommand({ PolicyName: o.name, PolicyDocument: text, Description: o.description, Tags: o.tags }));
      return 'created';
    } catch (e) {
      // Another run made it between our read and our create: compare with theirs.
      if (!isError(e, 'EntityAlreadyExistsException', 'EntityAlreadyExists')) throw e;
      policy = (await iam.send(new GetPolicyCommand({ PolicyArn: o.arn }))).Policy;
    }
  }
  const current = await iam.send(new GetPolicyVersionCommand({ PolicyArn: o.arn, VersionId: policy!.DefaultVersionId }));
  if (canonicalJson(decode(current.PolicyVersion?.Document)) === canonicalJson(o.doc)) return undefined;
  const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: o.arn }))).Versions ?? [];
  if (versions.length >= MAX_VERSIONS) {
    const oldest = versions.filter((v) => !v.IsDefaultVersion).sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
    if (oldest) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: o.arn, VersionId: oldest.VersionId }));
  }
  await iam.send(new CreatePolicyVersionCommand({ PolicyArn: o.arn, PolicyDocument: text, SetAsDefault: true }));
  return 'updated';
}

/** Deletes a customer managed policy: its non-default versions first, as IAM requires. Gone already is fine. */
export async function deleteManagedPolicy(iam: IAMClient, arn: string): Promise<void> {
  const gone = ['NoSuchEntityException', 'NoSuchEntity'];
  const versions = (await unlessNotFound(iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn })), ...gone))?.Versions ?? [];
  for (const v of versions)
    if (!v.IsDefaultVersion) await unlessNotFound(iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v.VersionId })), ...gone);
  await unlessNotFound(iam.send(new DeletePolicyCommand({ PolicyArn: arn })), ...gone);
}
