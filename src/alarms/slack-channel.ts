import type { StepContext } from '../pipeline/context.js';
import { ownedBy, ownershipTags } from '../pipeline/step.js';
import { StepError } from '../errors.js';
import { partitionOf } from '../config/regions.js';
import { canonicalJson } from '../canonical-json.js';
import type { SlackChannelConfiguration } from '../aws/chatbot.js';
import { chatbotRoleSpec, policyVars } from '../aws/app-roles.js';
import { ensureRole, getRole } from '../aws/ensure-role.js';
import { deleteRole } from '../aws/delete-role.js';
import { isError } from '../aws/not-found.js';
import { retryIamPropagation } from '../aws/retry-iam-propagation.js';
import { chatbotRoleName, slackConfigName } from '../aws/names.js';

// alarms.slack: an AWS Chatbot Slack channel configuration subscribed to the
// alarm topic (Chatbot subscribes its own HTTPS endpoint to the topic), with a
// role of its own that may only read CloudWatch, and CloudWatch's read-only
// managed policy as the channel guardrail, which caps what anyone in the
// channel can have Chatbot do. Without a guardrail Chatbot applies
// AdministratorAccess (API reference, CreateSlackChannelConfiguration).

/** The intent recorded before the configuration is created: with the last output, what tells a removal or destroy to ask Chatbot. */
export const SLACK_INTENT = 'slack-channel';
const guardrail = (ctx: Pick<StepContext, 'region'>) => `arn:${partitionOf(ctx.region)}:iam::aws:policy/CloudWatchReadOnlyAccess`;

/** Where a workspace is authorised once, by hand: AWS Chatbot's console, "Configure new client", Slack. */
export const CHATBOT_CONSOLE = 'https://us-east-2.console.aws.amazon.com/chatbot/home#/chat-clients';

/** What the preflight says when the workspace has not been authorised for AWS Chatbot in this account. */
export async function slackWorkspaceProblem(ctx: StepContext, workspaceId: string): Promise<string | undefined> {
  const seen: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.aws.chatbot.send('DescribeSlackWorkspaces', { NextToken });
    for (const w of page.SlackWorkspaces ?? []) {
      if (w.SlackTeamId === workspaceId) return undefined;
      seen.push(`${w.SlackTeamId} (${w.SlackTeamName})`);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return (
    `alarms.slack.workspaceId: Slack workspace ${workspaceId} is not authorised for AWS Chatbot in account ${ctx.account}` +
    `${seen.length ? `; authorised here: ${seen.join(', ')}` : ''}. Authorise it once at ${CHATBOT_CONSOLE} ` +
    `(Configure new client, Slack, sign in to the workspace), or correct the id; then run again.`
  );
}

/** The configuration by its name (the API looks up by ARN only; the list is short). */
export async function findSlackChannel(ctx: StepContext): Promise<SlackChannelConfiguration | undefined> {
  let NextToken: string | undefined;
  do {
    const page = await ctx.aws.chatbot.send('DescribeSlackChannelConfigurations', { NextToken });
    const hit = (page.SlackChannelConfigurations ?? []).find((c) => c.ConfigurationName === slackConfigName(ctx));
    if (hit) return hit;
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
}

const tagsOf = (c: SlackChannelConfiguration) => (c.Tags ?? []).map((t) => ({ Key: t.TagKey, Value: t.TagValue }));

function wanted(ctx: StepContext, topicArn: string, roleArn: string) {
  const slack = ctx.config.alarms!.slack!;
  return {
    SlackChannelId: slack.channelId,
    IamRoleArn: roleArn,
    SnsTopicArns: [topicArn],
    GuardrailPolicyArns: [guardrail(ctx)],
    LoggingLevel: 'ERROR',
    // Commands typed in the channel run with each member's own role, never the channel's.
    UserAuthorizationRequired: true,
  };
}

/** Which of the fields we set differ, as labels (for the plan and the log). */
function slackDrift(have: SlackChannelConfiguration, want: ReturnType<typeof wanted>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(want)) {
    const h = (have as unknown as Record<string, unknown>)[k];
    const same = Array.isArray(v) ? canonicalJson([...((h as string[]) ?? [])].sort()) === canonicalJson([...v].sort()) : h === v;
    if (!same) out.push(k);
  }
  return out;
}

/** What the plan says of the channel: create, keep or update, and why. */
export async function planSlackChannel(ctx: StepContext, topicArn: string | undefined): Promise<{ action: 'create' | 'keep' | 'update'; detail: string }> {
  const slack = ctx.config.alarms!.slack!;
  const have = await findSlackChannel(ctx);
  const where = `Slack channel ${slack.channelId} of workspace ${slack.workspaceId}`;
  if (!have) return { action: 'create', detail: `${where}; role ${chatbotRoleName(ctx)} reads CloudWatch only` };
  if (have.SlackTeamId !== slack.workspaceId) return { action: 'update', detail: `${where} (replaces workspace ${have.SlackTeamId})` };
  const d = slackDrift(have, wanted(ctx, topicArn ?? '', `arn:${partitionOf(ctx.region)}:iam::${ctx.account}:role/${chatbotRoleName(ctx)}`));
  return d.length ? { action: 'update', detail: `${where}: ${d.join(', ')}` } : { action: 'keep', detail: where };
}

/** The channel configuration, converged; its role first. Returns the configuration's ARN. */
export async function ensureSlackChannel(ctx: StepContext, topicArn: string): Promise<string> {
  const slack = ctx.config.alarms!.slack!;
  const role = await ensureRole(ctx, { ...chatbotRoleSpec(ctx, policyVars(ctx, {})), managed: [] }, 'alarms');
  const want = wanted(ctx, topicArn, role.Arn!);
  let have = await findSlackChannel(ctx);
  if (have && !ownedBy(ctx, tagsOf(have)))
    throw new StepError('alarms', `adopt AWS Chatbot configuration: ${slackConfigName(ctx)} exists but was not created by deploy-wizard`, {
      hint: `Delete it in the AWS Chatbot console, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} to let the wizard manage it.`,
    });
  // The workspace of a configuration cannot be changed: another workspace is a new configuration.
  if (have && have.SlackTeamId !== slack.workspaceId) {
    ctx.log.info(`${slackConfigName(ctx)}: moving from Slack workspace ${have.SlackTeamId} to ${slack.workspaceId}`);
    await ctx.aws.chatbot.send('DeleteSlackChannelConfiguration', { ChatConfigurationArn: have.ChatConfigurationArn });
    have = undefined;
  }
  if (!have) {
    ctx.log.info(`posting the alarms to Slack channel ${slack.channelId} (AWS Chatbot configuration ${slackConfigName(ctx)})`);
    try {
      // A new role takes seconds to be assumable by Chatbot, which checks it on create.
      const made = await retryIamPropagation(
        () =>
          ctx.aws.chatbot.send('CreateSlackChannelConfiguration', {
            ConfigurationName: slackConfigName(ctx),
            SlackTeamId: slack.workspaceId,
            ...want,
            Tags: ownershipTags(ctx, 'alarms').map((t) => ({ TagKey: t.Key, TagValue: t.Value })),
          }),
        { clock: ctx.clock, signal: ctx.signal, onRetry: (m) => ctx.log.info(m) },
      );
      return made.ChannelConfiguration!.ChatConfigurationArn;
    } catch (e) {
      // The name is taken: a run killed after the create, whose answer was lost. Find it and converge it.
      if (!isError(e, 'ConflictException')) throw e;
      have = await findSlackChannel(ctx);
      if (!have) throw e;
    }
  }
  const d = slackDrift(have, want);
  if (d.length) {
    ctx.log.info(`${slackConfigName(ctx)}: ${d.join(', ')}`);
    await ctx.aws.chatbot.send('UpdateSlackChannelConfiguration', { ChatConfigurationArn: have.ChatConfigurationArn, ...want });
  }
  return have.ChatConfigurationArn;
}

/** The channel configuration and its role, when ours: alarms.slack removed, or the alarms torn down. */
export async function removeSlackChannel(ctx: StepContext): Promise<string[]> {
  const done: string[] = [];
  const have = await findSlackChannel(ctx);
  if (have && ownedBy(ctx, tagsOf(have))) {
    await ctx.aws.chatbot.send('DeleteSlackChannelConfiguration', { ChatConfigurationArn: have.ChatConfigurationArn });
    done.push(`AWS Chatbot configuration ${slackConfigName(ctx)}`);
  }
  const role = await getRole(ctx, chatbotRoleName(ctx));
  if (role && ownedBy(ctx, role.Tags)) {
    await deleteRole(ctx, ctx.aws.iam, chatbotRoleName(ctx));
    done.push(`IAM role ${chatbotRoleName(ctx)}`);
  }
  return done;
}
