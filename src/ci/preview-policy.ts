import type { Config } from '../config/schema.js';
import type { StepManifest } from '../pipeline/manifest.js';
import { appSecretName, appDbSecretName, originVerifySecretName, rdsMasterSecretName, redisAuthSecretName } from '../aws/names.js';
import { deployPolicies, type PolicyStatement, type PolicyWhere } from './deploy-policy.js';

/** Changing a listener rule or a target group, or what it routes to. */
const RULE_AND_TARGET_GROUP_CHANGES = [
  'elasticloadbalancing:ModifyRule',
  'elasticloadbalancing:DeleteRule',
  'elasticloadbalancing:SetRulePriorities',
  'elasticloadbalancing:ModifyTargetGroup',
  'elasticloadbalancing:ModifyTargetGroupAttributes',
  'elasticloadbalancing:DeleteTargetGroup',
  'elasticloadbalancing:RegisterTargets',
  'elasticloadbalancing:DeregisterTargets',
];

/**
 * The preview role's permissions (`ci github --previews`): what `preview up`, `down`, `list` and `prune` of any
 * preview of the parent need, derived from the steps a preview runs (their manifests, read with the env
 * `<parent>--*`, so every name is every preview's), plus reading the parent's state and secret, and explicit
 * Denies that keep it off the parent's own: its services and cluster, its load balancer, listeners, rules and
 * target groups (the parent's tags), its database instance, and its secrets. Explicit Denies win over any
 * Allow (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 */
export function previewRolePolicies(previewCfg: Config, manifests: readonly StepManifest[], w: Omit<PolicyWhere, 'env' | 'preview'> & { parent: string }) {
  const { parent, ...rest } = w;
  const pw: PolicyWhere = { ...rest, env: `${parent}--*`, preview: { name: '*', parent } };
  const arn = (service: string, tail: string, region = w.region) => `arn:${w.partition}:${service}:${region}:${w.account}:${tail}`;
  const secret = (name: string) => arn('secretsmanager', `secret:${name}-??????`);
  const parentOf = { app: w.app, env: parent };
  const parentTag = { StringEquals: { 'aws:ResourceTag/deploy-wizard:app': w.app, 'aws:ResourceTag/deploy-wizard:env': parent } };
  // Denied unless the resource (or the request's tags) says a preview of this parent, of this app: two statements,
  // since the keys of one condition must all match.
  const previewTagged = (sid: string, key: 'ResourceTag' | 'RequestTag', actions: string[]): PolicyStatement[] => [
    { Sid: sid, Effect: 'Deny', Action: actions, Resource: '*', Condition: { StringNotLike: { [`aws:${key}/deploy-wizard:env`]: `${parent}--*` } } },
    { Sid: `${sid}App`, Effect: 'Deny', Action: actions, Resource: '*', Condition: { StringNotEquals: { [`aws:${key}/deploy-wizard:app`]: w.app } } },
  ];
  const state = (key: string) => `arn:${w.partition}:s3:::${w.state.bucket}/${w.state.prefix}${w.app}/${key}`;
  const extra: PolicyStatement[] = [
    // The parent's state (what it runs: network, cluster, listener, database), read only; and the previews' states, listed.
    { Sid: 'ParentState', Effect: 'Allow', Action: ['s3:GetObject'], Resource: state(`${parent}.state.json`) },
    {
      Sid: 'PreviewStates',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: `arn:${w.partition}:s3:::${w.state.bucket}`,
      Condition: { StringLike: { 's3:prefix': `${w.state.prefix}${w.app}/${parent}--*` } },
    },
    // The values the parent was given for its asked secrets, copied into each preview's own secret.
    { Sid: 'ParentSecretRead', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: secret(appSecretName(parentOf)) },
    {
      Sid: 'NeverTheParentsServices',
      Effect: 'Deny',
      Action: [
        'ecs:CreateService',
        'ecs:UpdateService',
        'ecs:DeleteService',
        'ecs:DeleteCluster',
        'ecs:PutClusterCapacityProviders',
        'ecs:UpdateCluster',
        'ecs:TagResource',
        'ecs:UntagResource',
      ],
      Resource: '*',
      Condition: parentTag,
    },
    {
      Sid: 'NeverTheParentsLoadBalancer',
      Effect: 'Deny',
      Action: [
        'elasticloadbalancing:ModifyListener',
        'elasticloadbalancing:DeleteListener',
        'elasticloadbalancing:DeleteLoadBalancer',
        'elasticloadbalancing:ModifyLoadBalancerAttributes',
        'elasticloadbalancing:SetSubnets',
        'elasticloadbalancing:SetSecurityGroups',
        ...RULE_AND_TARGET_GROUP_CHANGES,
        'elasticloadbalancing:AddTags',
        'elasticloadbalancing:RemoveTags',
      ],
      Resource: '*',
      Condition: parentTag,
    },
    // Target groups and rules have generated ids, so the Allows for changing them are by action (rules: on the
    // parent's load balancer). These keep them to the previews' own, by their tags: not another env's (prod's), not
    // another app's, not one made by hand. A key a request lacks makes a negated operator true, so an untagged
    // resource is refused too (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
    ...previewTagged('OnlyPreviewRulesAndTargetGroups', 'ResourceTag', [...RULE_AND_TARGET_GROUP_CHANGES, 'elasticloadbalancing:RemoveTags']),
    {
      // Tags only on what is being made (elasticloadbalancing:CreateAction is set then): an existing rule or target
      // group is never re-tagged as a preview's.
      Sid: 'LoadBalancerTagsOnCreateOnly',
      Effect: 'Deny',
      Action: ['elasticloadbalancing:AddTags'],
      Resource: '*',
      Condition: { Null: { 'elasticloadbalancing:CreateAction': 'true' } },
    },
    // What a preview makes carries a preview's tags, so the Denies above let it (and only it) change it later.
    ...previewTagged('MadeWithAPreviewsTags', 'RequestTag', ['elasticloadbalancing:AddTags']),
    {
      // A preview never changes a database instance or cluster: its database lives inside the parent's instance.
      Sid: 'NeverTheDatabaseInstance',
      Effect: 'Deny',
      Action: ['rds:Create*', 'rds:Modify*', 'rds:Delete*', 'rds:Reboot*', 'rds:Stop*', 'rds:Start*', 'rds:Restore*', 'rds:Failover*', 'rds:Promote*'],
      Resource: '*',
    },
    {
      Sid: 'NeverTheParentsSecrets',
      Effect: 'Deny',
      Action: [
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecret',
        'secretsmanager:DeleteSecret',
        'secretsmanager:RestoreSecret',
        'secretsmanager:RotateSecret',
        'secretsmanager:PutResourcePolicy',
        'secretsmanager:TagResource',
        'secretsmanager:UntagResource',
      ],
      Resource: [
        appSecretName(parentOf),
        rdsMasterSecretName(parentOf),
        appDbSecretName(parentOf),
        redisAuthSecretName(parentOf),
        originVerifySecretName(parentOf),
      ].map(secret),
    },
    {
      // A preview pushes to the parent's repositories and changes nothing else of theirs (their settings are the parent's).
      Sid: 'NeverTheRepositories',
      Effect: 'Deny',
      Action: [
        'ecr:CreateRepository',
        'ecr:DeleteRepository',
        'ecr:PutLifecyclePolicy',
        'ecr:DeleteLifecyclePolicy',
        'ecr:PutImageTagMutability',
        'ecr:PutImageScanningConfiguration',
        'ecr:SetRepositoryPolicy',
        'ecr:DeleteRepositoryPolicy',
        'ecr:BatchDeleteImage',
        'ecr:TagResource',
        'ecr:UntagResource',
      ],
      Resource: '*',
    },
    {
      // Previews have no autoscaling: none of the parent's scaling is theirs to change.
      Sid: 'NeverScaling',
      Effect: 'Deny',
      Action: [
        'application-autoscaling:RegisterScalableTarget',
        'application-autoscaling:DeregisterScalableTarget',
        'application-autoscaling:PutScalingPolicy',
        'application-autoscaling:DeleteScalingPolicy',
      ],
      Resource: '*',
    },
  ];
  return deployPolicies(previewCfg, manifests, pw, extra);
}

/** The preview role's permissions as one document. */
export const previewRolePolicy = (...a: Parameters<typeof previewRolePolicies>) => ({
  Version: '2012-10-17' as const,
  Statement: previewRolePolicies(...a).flatMap((d) => d.Statement),
});
