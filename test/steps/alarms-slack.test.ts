import { describe, expect, it, onTestFinished } from 'vitest';
import { GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { alarms } from '../../steps/alarms/apply.js';
import { destroyAlarms } from '../../steps/alarms/teardown.js';
import { boundaryPolicy, ensureBoundary } from '../../src/aws/app-roles.js';
import { allows } from '../../src/ci/deploy-policy.js';
import { ownershipTags, type StepOutputs } from '../../src/pipeline/step.js';
import { MUTATING, stepContext } from '../helpers/step-context.js';
import { startChatbot } from '../helpers/chatbot.js';
import type { CallHook } from '../../src/aws/clients.js';

const WORKSPACE = { id: 'T0123ABCD', name: 'acme' };

/** Chatbot answered by the stand-in, everything else by moto; moto's address back when the test ends. */
async function withChatbot(authorised = [WORKSPACE]) {
  const stand = await startChatbot(process.env.AWS_ENDPOINT_URL!, { authorised });
  const moto = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = stand.url;
  onTestFinished(() => ((process.env.AWS_ENDPOINT_URL = moto), stand.close()));
  return stand;
}

/** A worker-only app with alarms, as far as the alarms step cares: the service step's outputs, and the boundary the iam-roles step writes first. */
async function workerApp(alarmsConfig: Record<string, unknown>, onCall?: CallHook) {
  const t = stepContext(
    { service: undefined, services: { worker: { command: ['node', 'worker.js'] } }, alarms: { email: ['ops@example.com'], ...alarmsConfig } },
    { onCall },
  );
  const svc = { clusterName: `${t.app}-prod`, services: { worker: { serviceName: `${t.app}-worker` } } } as unknown as StepOutputs['service'];
  t.ctx.output = (<T>(id: string) => (id === 'service' ? (svc as T) : undefined)) as typeof t.ctx.output;
  const where = { app: t.app, env: 'prod', account: t.ctx.account, region: t.ctx.region, config: t.ctx.config };
  await ensureBoundary(t.ctx.aws.iam, where, boundaryPolicy(where), ownershipTags(t.ctx, 'iam-roles'));
  return t;
}

const SLACK = { workspaceId: WORKSPACE.id, channelId: 'C0456EFGH' };

describe('alarms in Slack through AWS Chatbot', () => {
  it('a workspace not authorised for Chatbot stops the preflight, naming the key, the workspaces that are, and where to authorise it', async () => {
    await withChatbot([{ id: 'T9999ZZZZ', name: 'other' }]);
    const { ctx } = await workerApp({ slack: SLACK });
    const [problem, ...more] = await alarms.preflight!(ctx);
    expect(more).toEqual([]);
    expect(problem).toContain('alarms.slack.workspaceId: Slack workspace T0123ABCD is not authorised for AWS Chatbot in account 123456789012');
    expect(problem).toContain('authorised here: T9999ZZZZ (other)');
    expect(problem).toContain('console.aws.amazon.com/chatbot');
  });

  it("posts to the channel with a role that only reads CloudWatch and CloudWatch's read-only guardrail; converges a changed channel; leaves Chatbot's subscription alone; removing alarms.slack deletes the configuration and role", async () => {
    const stand = await withChatbot();
    const calls: string[] = [];
    const { ctx, app } = await workerApp({ slack: SLACK }, (c) => void (c.ok && calls.push(`${c.service}:${c.command}`)));
    const mutating = () => calls.filter((c) => MUTATING.test(c.split(':')[1]!));
    expect(await alarms.preflight!(ctx)).toEqual([]);

    const out = await alarms.apply(ctx);
    const name = `${app}-prod-alarms`;
    const arn = `arn:aws:chatbot::123456789012:chat-configuration/slack-channel/${name}`;
    expect(out.slack).toEqual({ configurationArn: arn, ...SLACK });
    const made = stand.configs.get(arn)!;
    const roleArn = `arn:aws:iam::123456789012:role/${app}-prod-chatbot`;
    expect(made).toMatchObject({
      ConfigurationName: name,
      SlackTeamId: 'T0123ABCD',
      SlackChannelId: 'C0456EFGH',
      IamRoleArn: roleArn,
      SnsTopicArns: [out.topicArn],
      GuardrailPolicyArns: ['arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess'],
      UserAuthorizationRequired: true,
    });
    expect(made.Tags).toContainEqual({ TagKey: 'deploy-wizard:app', TagValue: app });
    // The app is in us-east-1, where Chatbot has no API: every call went to us-east-2.
    expect(new Set(stand.regions)).toEqual(new Set(['us-east-2']));

    // The role: Chatbot alone may assume it, it carries the app's boundary, and it may read CloudWatch and nothing else.
    const role = (await ctx.aws.iam.send(new GetRoleCommand({ RoleName: `${app}-prod-chatbot` }))).Role!;
    expect(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)).Statement).toEqual([
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'chatbot.amazonaws.com' }, Action: 'sts:AssumeRole' }),
    ]);
    expect(role.PermissionsBoundary?.PermissionsBoundaryArn).toBe(`arn:aws:iam::123456789012:policy/${app}-prod-boundary`);
    const inline = JSON.parse(
      decodeURIComponent((await ctx.aws.iam.send(new GetRolePolicyCommand({ RoleName: `${app}-prod-chatbot`, PolicyName: 'deploy-wizard' }))).PolicyDocument!),
    );
    for (const a of ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData', 'cloudwatch:ListMetrics']) expect(allows(inline, a), a).toBe(true);
    for (const a of ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'sns:Publish', 'logs:GetLogEvents', 'iam:PassRole', 'ecs:RunTask'])
      expect(allows(inline, a), a).toBe(false);
    // The boundary the CI role writes allows those reads too, or the role could do nothing.
    const boundary = boundaryPolicy({ app, env: 'prod', account: ctx.account, region: ctx.region, config: ctx.config });
    expect(allows(boundary as never, 'cloudwatch:DescribeAlarms')).toBe(true);

    // Chatbot's own subscription sits beside the e-mail one.
    const endpoints = async () =>
      ((await ctx.aws.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: out.topicArn }))).Subscriptions ?? []).map((s) => s.Endpoint).sort();
    expect(await endpoints()).toEqual(['https://global.sns-api.chatbot.amazonaws.com', 'ops@example.com']);
    expect((await alarms.verify(ctx, out)).every((c) => c.ok)).toBe(true);
    expect(alarms.summary!(out, { config: ctx.config, env: 'prod', region: ctx.region, output: () => undefined }).rows?.[0]?.[1]).toContain(
      'post to Slack channel C0456EFGH',
    );

    // A re-run changes nothing, in Chatbot or anywhere, and keeps Chatbot's subscription.
    ctx.previous = () => out;
    calls.length = 0;
    await alarms.apply(ctx);
    expect(mutating()).toEqual([]);
    expect(await endpoints()).toEqual(['https://global.sns-api.chatbot.amazonaws.com', 'ops@example.com']);
    // A run killed after the create, before the state was saved: the next one finds the configuration by name.
    ctx.previous = () => undefined;
    calls.length = 0;
    await alarms.apply(ctx);
    expect(mutating()).toEqual([]);

    // Another channel: one update of the same configuration.
    ctx.config = { ...ctx.config, alarms: { ...ctx.config.alarms!, slack: { ...SLACK, channelId: 'C0999XYZW' } } };
    calls.length = 0;
    const moved = await alarms.apply(ctx);
    expect(mutating()).toEqual(['Chatbot:UpdateSlackChannelConfiguration']);
    expect(stand.configs.get(arn)!.SlackChannelId).toBe('C0999XYZW');
    expect((await alarms.plan(ctx)).find((i) => i.resource.includes('AWS Chatbot'))).toMatchObject({ action: 'keep' });

    // alarms.slack removed: the configuration (and with it Chatbot's subscription) and the role go; the alarms stay.
    ctx.previous = () => moved;
    ctx.config = { ...ctx.config, alarms: { ...ctx.config.alarms!, slack: undefined } };
    expect((await alarms.plan(ctx)).find((i) => i.resource.includes('AWS Chatbot'))).toMatchObject({ action: 'delete' });
    calls.length = 0;
    const plain = await alarms.apply(ctx);
    expect(mutating()).toEqual(['Chatbot:DeleteSlackChannelConfiguration', 'IAM:DeleteRolePolicy', 'IAM:DeleteRole']);
    expect(plain.slack).toBeUndefined();
    expect(stand.configs.size).toBe(0);
    expect(await endpoints()).toEqual(['ops@example.com']);
    // From then on Chatbot is not asked at all.
    ctx.previous = () => plain;
    calls.length = 0;
    await alarms.apply(ctx);
    expect(calls.filter((c) => c.startsWith('Chatbot:'))).toEqual([]);
  });

  it('never takes over or deletes a configuration of the same name that is not ours; destroy removes ours', async () => {
    const stand = await withChatbot();
    const { ctx, app } = await workerApp({ slack: SLACK });
    const arn = `arn:aws:chatbot::123456789012:chat-configuration/slack-channel/${app}-prod-alarms`;
    stand.configs.set(arn, {
      ChatConfigurationArn: arn,
      ConfigurationName: `${app}-prod-alarms`,
      SlackTeamId: 'T0123ABCD',
      SlackChannelId: 'CMINE',
      SnsTopicArns: [],
    });
    await expect(alarms.apply(ctx)).rejects.toThrow(/AWS Chatbot configuration: .* not created by deploy-wizard/);
    const items = await destroyAlarms(ctx);
    const chat = items.find((i) => i.resource.startsWith('AWS Chatbot'))!;
    await chat.remove!();
    expect(stand.configs.get(arn)?.SlackChannelId).toBe('CMINE');

    // Ours, then destroy: gone.
    stand.configs.clear();
    const out = await alarms.apply(ctx);
    ctx.previous = () => out;
    for (const i of await destroyAlarms(ctx)) await i.remove!();
    expect(stand.configs.size).toBe(0);
    await expect(ctx.aws.iam.send(new GetRoleCommand({ RoleName: `${app}-prod-chatbot` }))).rejects.toThrow();
  });
});
