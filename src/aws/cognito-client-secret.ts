import { DescribeUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import { StepError } from '../errors.js';
import type { StepContext } from '../pipeline/context.js';

/** The app client's secret, registered for redaction as it is read (the secrets step puts it in the app secret). */
export async function cognitoClientSecret(ctx: StepContext, out: { userPoolId: string; clientId: string; clientName: string }): Promise<string> {
  const client = (await ctx.aws.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: out.userPoolId, ClientId: out.clientId }))).UserPoolClient;
  const secret = client?.ClientSecret;
  if (!secret)
    throw new StepError('secrets', `read app client: ${out.clientName} has no client secret`, {
      hint: 'Delete the app client so the wizard recreates it with a secret, then run again.',
    });
  ctx.log.secret(secret);
  return secret;
}
