import { CreateHttpNamespaceCommand } from '@aws-sdk/client-servicediscovery';
import type { StepContext } from '../../src/pipeline/context.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { ownershipTags, type Check } from '../../src/pipeline/step.js';
import { StepError } from '../../src/errors.js';
import { namespaceName, reachableServices } from '../../src/config/service-connect.js';
import { findNamespace, namespaceOwned, waitForOperation } from '../../src/aws/namespace.js';
import { isError } from '../../src/aws/not-found.js';

export interface ServiceConnectOutput {
  namespaceName: string;
  namespaceId: string;
  namespaceArn: string;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    'service-connect': ServiceConnectOutput;
  }
}

/**
 * CreatorRequestId makes a retried CreateHttpNamespace (a run killed after the call, an answer lost on the way
 * back) answer with the same operation instead of a second namespace
 * (https://docs.aws.amazon.com/cloud-map/latest/api/API_CreateHttpNamespace.html, "CreatorRequestId").
 */
const creatorRequestId = (ctx: StepContext) => `deploy-wizard-${ctx.app}-${ctx.env}`.slice(0, 64);

async function ours(ctx: StepContext) {
  const ns = await findNamespace(ctx);
  if (ns && !(await namespaceOwned(ctx, ns.Arn!)))
    throw new StepError('service-connect', `adopt namespace: the Cloud Map namespace ${ns.Name} (${ns.Id}) exists but was not created by deploy-wizard`, {
      hint: `Delete it, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} so the wizard may use it.`,
    });
  return ns;
}

export const serviceConnect: StepCode<'service-connect'> = {
  async inputs(ctx) {
    return { namespace: namespaceName(ctx) };
  },

  async plan(ctx) {
    const ns = await findNamespace(ctx);
    return [
      {
        action: ns ? 'keep' : 'create',
        resource: `Cloud Map namespace ${namespaceName(ctx)}`,
        detail: `Service Connect: ${reachableServices(ctx.config)
          .map((s) => `http://${s.name}:${s.port}`)
          .join(', ')}`,
      },
    ];
  },

  async apply(ctx) {
    let ns = await ours(ctx);
    if (!ns) {
      ctx.log.info(`creating Cloud Map namespace ${namespaceName(ctx)} (HTTP, for Service Connect)`);
      let operationId: string | undefined;
      try {
        operationId = (
          await ctx.aws.serviceDiscovery.send(
            new CreateHttpNamespaceCommand({
              Name: namespaceName(ctx),
              CreatorRequestId: creatorRequestId(ctx),
              Description: `deploy-wizard ${ctx.app} ${ctx.env}: internal services`,
              Tags: ownershipTags(ctx, 'service-connect'),
            }),
          )
        ).OperationId;
      } catch (e) {
        // Made by a run this one resumes, between its lookup and its create.
        if (!isError(e, 'NamespaceAlreadyExists')) throw e;
      }
      if (operationId) await waitForOperation(ctx, operationId, `Cloud Map namespace ${namespaceName(ctx)}`);
      ns = await ours(ctx);
      if (!ns)
        throw new StepError('service-connect', `create namespace: ${namespaceName(ctx)} was created but cannot be found`, {
          hint: 'Run the same command again.',
        });
    }
    return { namespaceName: ns.Name!, namespaceId: ns.Id!, namespaceArn: ns.Arn! };
  },

  async verify(ctx, out) {
    const ns = await findNamespace(ctx);
    return [{ name: `Cloud Map namespace ${out.namespaceName}`, ok: ns?.Id === out.namespaceId } satisfies Check];
  },
};
