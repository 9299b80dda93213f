import { DeleteCertificateCommand, ListCertificatesCommand, ListTagsForCertificateCommand, type ACMClient } from '@aws-sdk/client-acm';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { retryWhileInUse } from '../../src/aws/retry-in-use.js';
import { GLOBAL_REGION } from '../../src/aws/clients.js';

const ALL = ['PENDING_VALIDATION', 'ISSUED', 'INACTIVE', 'EXPIRED', 'VALIDATION_TIMED_OUT', 'REVOKED', 'FAILED'] as const;

/**
 * Our certificates in the app's region and in us-east-1 (CloudFront's). The
 * validation CNAMEs stay: ACM gives every certificate for a name in this
 * account the same one, so a certificate of the user's own may renew with it.
 */
export async function destroyCertificates(ctx: StepContext): Promise<Teardown[]> {
  const clients: [string, ACMClient][] = [[ctx.region, ctx.aws.acm]];
  if (ctx.region !== GLOBAL_REGION) clients.push([GLOBAL_REGION, ctx.aws.acmEdge]);
  const items: Teardown[] = [];
  for (const [region, acm] of clients) {
    let NextToken: string | undefined;
    do {
      const page = await acm.send(new ListCertificatesCommand({ CertificateStatuses: [...ALL], NextToken }));
      for (const s of page.CertificateSummaryList ?? []) {
        const tags = (await acm.send(new ListTagsForCertificateCommand({ CertificateArn: s.CertificateArn }))).Tags;
        if (!ownedBy(ctx, tags)) continue;
        items.push({
          resource: `ACM certificate ${s.DomainName} (${region})`,
          // In use until the load balancer's listener or the distribution is gone, which AWS reports a little after.
          remove: () =>
            retryWhileInUse(ctx, `certificate ${s.DomainName} (${region})`, ['ResourceInUseException'], () =>
              unlessNotFound(acm.send(new DeleteCertificateCommand({ CertificateArn: s.CertificateArn })), 'ResourceNotFoundException'),
            ),
        });
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return items;
}
