import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
} from '@aws-sdk/client-kms';
import { canonicalJson } from '../canonical-json.js';
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  SetTopicAttributesCommand,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import type { StepContext } from '../pipeline/context.js';
import { ownedBy, ownershipTags } from '../pipeline/step.js';
import { StepError } from '../errors.js';
import { partitionOf } from '../config/regions.js';
import { unlessNotFound } from '../aws/not-found.js';
import { topicName } from '../aws/names.js';

type Ctx = Pick<StepContext, 'app' | 'env' | 'region' | 'account' | 'aws' | 'log' | 'intents'>;

export const keyAlias = (ctx: Pick<StepContext, 'app' | 'env'>) => `alias/${ctx.app}-${ctx.env}-alarms`;
const topicArn = (ctx: Ctx) => `arn:${partitionOf(ctx.region)}:sns:${ctx.region}:${ctx.account}:${topicName(ctx)}`;

/**
 * The topic's key. SNS's own AWS managed key cannot be used: CloudWatch must
 * be allowed to use the key to publish to an encrypted topic, and an AWS
 * managed key's policy cannot be changed. So a customer managed key, whose
 * policy lets this account manage it and CloudWatch (for this account's
 * alarms only) encrypt with it.
 */
function keyPolicy(ctx: Ctx, costAlerts: boolean): string {
  const partition = partitionOf(ctx.region);
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      ...(costAlerts ? [costAlertsKeyStatement(ctx)] : []),
      { Sid: 'Account', Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${ctx.account}:root` }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'CloudWatchAlarms',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': ctx.account } },
      },
    ],
  });
}

/**
 * Cost Anomaly Detection publishing to the encrypted topic: the service must be allowed to use the key (as
 * CloudWatch is) and to publish to the topic, for this account's subscriptions only
 * (https://docs.aws.amazon.com/cost-management/latest/userguide/ad-SNS.html).
 */
const COST_ALERTS = 'CostAnomalyAlerts';
const costAlertsKeyStatement = (ctx: Ctx) => ({
  Sid: COST_ALERTS,
  Effect: 'Allow',
  Principal: { Service: 'costalerts.amazonaws.com' },
  Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
  Resource: '*',
  Condition: { StringEquals: { 'aws:SourceAccount': ctx.account } },
});
const costAlertsTopicStatement = (ctx: Ctx) => ({
  Sid: COST_ALERTS,
  Effect: 'Allow',
  Principal: { Service: 'costalerts.amazonaws.com' },
  Action: 'SNS:Publish',
  Resource: topicArn(ctx),
  Condition: { StringEquals: { 'aws:SourceAccount': ctx.account } },
});

/** The key's policy as it should be: written only when it differs (statements compared, not text). */
async function convergeKeyPolicy(ctx: Ctx, keyArn: string, costAlerts: boolean): Promise<void> {
  const have = (await ctx.aws.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy;
  const want = keyPolicy(ctx, costAlerts);
  if (have && canonicalJson(JSON.parse(have).Statement) === canonicalJson(JSON.parse(want).Statement)) return;
  ctx.log.info(`${keyAlias(ctx)}: ${costAlerts ? 'letting Cost Anomaly Detection use the key' : 'key policy as the config has it'}`);
  await ctx.aws.kms.send(new PutKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default', Policy: want }));
}

/**
 * The topic's policy with Cost Anomaly Detection's statement added or taken out; the rest (SNS's default, which
 * lets the account use the topic) is kept as it is.
 */
async function convergeTopicPolicy(ctx: Ctx, costAlerts: boolean): Promise<void> {
  const attrs = (await ctx.aws.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn(ctx) }))).Attributes ?? {};
  const doc = attrs.Policy
    ? (JSON.parse(attrs.Policy) as { Version?: string; Id?: string; Statement: { Sid?: string }[] })
    : { Version: '2012-10-17', Statement: [] };
  const others = doc.Statement.filter((st) => st.Sid !== COST_ALERTS);
  const has = doc.Statement.find((st) => st.Sid === COST_ALERTS);
  if (costAlerts ? has && canonicalJson(has) === canonicalJson(costAlertsTopicStatement(ctx)) : !has) return;
  const next = { ...doc, Statement: [...others, ...(costAlerts ? [costAlertsTopicStatement(ctx)] : [])] };
  ctx.log.info(`${topicName(ctx)}: ${costAlerts ? 'Cost Anomaly Detection may publish' : 'Cost Anomaly Detection may no longer publish'}`);
  await ctx.aws.sns.send(new SetTopicAttributesCommand({ TopicArn: topicArn(ctx), AttributeName: 'Policy', AttributeValue: JSON.stringify(next) }));
}

export async function findKey(ctx: Ctx): Promise<string | undefined> {
  return (await unlessNotFound(ctx.aws.kms.send(new DescribeKeyCommand({ KeyId: keyAlias(ctx) })), 'NotFoundException'))?.KeyMetadata?.Arn;
}

/** A key of ours without its alias: a run that died between CreateKey and CreateAlias. Only searched when that intent is on record. */
async function orphanKey(ctx: Ctx): Promise<string | undefined> {
  let Marker: string | undefined;
  do {
    const page = await ctx.aws.kms.send(new ListKeysCommand({ Marker }));
    for (const k of page.Keys ?? []) {
      const tags = (await unlessNotFound(ctx.aws.kms.send(new ListResourceTagsCommand({ KeyId: k.KeyId })), 'AccessDeniedException'))?.Tags ?? [];
      const owned = ownedBy(
        ctx,
        tags.map((t) => ({ Key: t.TagKey, Value: t.TagValue })),
      );
      if (owned && tags.some((t) => t.TagKey === 'deploy-wizard:step' && t.TagValue === 'alarms')) return k.KeyArn;
    }
    Marker = page.Truncated ? page.NextMarker : undefined;
  } while (Marker);
  return undefined;
}

async function ensureKey(ctx: Ctx, costAlerts: boolean): Promise<string> {
  const found = await findKey(ctx);
  if (found) {
    await convergeKeyPolicy(ctx, found, costAlerts);
    return found;
  }
  let arn = ctx.intents.get('alarm-key') ? await orphanKey(ctx) : undefined;
  if (!arn) {
    // CreateKey has no idempotency token: the intent lets a re-run look for the key a crash left without its alias.
    await ctx.intents.record('alarm-key', { alias: keyAlias(ctx) });
    ctx.log.info(`creating KMS key ${keyAlias(ctx)} for the alarm topic`);
    const res = await ctx.aws.kms.send(
      new CreateKeyCommand({
        Description: `deploy-wizard: encrypts the alarm topic of ${ctx.app} (${ctx.env})`,
        Policy: keyPolicy(ctx, costAlerts),
        Tags: ownershipTags(ctx, 'alarms').map((t) => ({ TagKey: t.Key, TagValue: t.Value })),
      }),
    );
    arn = res.KeyMetadata!.Arn!;
  }
  await ctx.aws.kms.send(new CreateAliasCommand({ AliasName: keyAlias(ctx), TargetKeyId: arn }));
  await ctx.intents.clear('alarm-key');
  return arn;
}

export async function findAlarmTopic(ctx: Ctx): Promise<{ arn: string; keyId?: string } | undefined> {
  const res = await unlessNotFound(ctx.aws.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn(ctx) })), 'NotFoundException', 'NotFound');
  return res ? { arn: topicArn(ctx), keyId: res.Attributes?.KmsMasterKeyId } : undefined;
}

/** The encrypted topic, with exactly these addresses subscribed (a pending subscription cannot be removed; AWS drops it after three days). */
export async function ensureAlarmTopic(ctx: Ctx, emails: readonly string[], costAlerts = false): Promise<{ arn: string; keyArn: string }> {
  const keyArn = await ensureKey(ctx, costAlerts);
  const found = await findAlarmTopic(ctx);
  const arn = topicArn(ctx);
  if (!found) {
    ctx.log.info(`creating SNS topic ${topicName(ctx)}`);
    // CreateTopic is idempotent by name with the same attributes and tags.
    await ctx.aws.sns.send(new CreateTopicCommand({ Name: topicName(ctx), Attributes: { KmsMasterKeyId: keyArn }, Tags: ownershipTags(ctx, 'alarms') }));
  } else {
    const tags = (await ctx.aws.sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags;
    if (!ownedBy(ctx, tags))
      throw new StepError('alarms', `adopt SNS topic: ${topicName(ctx)} exists but was not created by deploy-wizard`, {
        hint: `Rename or delete it, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} to let the wizard manage it.`,
      });
    if (found.keyId !== keyArn && found.keyId !== keyAlias(ctx))
      await ctx.aws.sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'KmsMasterKeyId', AttributeValue: keyArn }));
  }
  await convergeTopicPolicy(ctx, costAlerts);
  const subs: { endpoint: string; arn: string }[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.aws.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn, NextToken }));
    for (const s of page.Subscriptions ?? []) if (s.Protocol === 'email') subs.push({ endpoint: s.Endpoint!.toLowerCase(), arn: s.SubscriptionArn! });
    NextToken = page.NextToken;
  } while (NextToken);
  for (const e of emails) {
    if (subs.some((s) => s.endpoint === e.toLowerCase())) continue;
    ctx.log.info(`subscribing ${e} to the alarms (AWS e-mails a confirmation link)`);
    await ctx.aws.sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'email', Endpoint: e }));
  }
  for (const s of subs) {
    if (emails.some((e) => e.toLowerCase() === s.endpoint) || !s.arn.startsWith('arn:')) continue;
    ctx.log.info(`unsubscribing ${s.endpoint} (no longer in alarms.email)`);
    await ctx.aws.sns.send(new UnsubscribeCommand({ SubscriptionArn: s.arn }));
  }
  return { arn, keyArn };
}
