import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from './clients.js';
import { describeAwsError } from './describe-error.js';

/** The account the credentials belong to; a failure is the credentials' ("check AWS credentials"). */
export async function callerAccount(aws: Pick<AwsClients, 'sts'>): Promise<string> {
  try {
    return (await aws.sts.send(new GetCallerIdentityCommand({}))).Account ?? 'unknown';
  } catch (e) {
    throw describeAwsError(e, 'check AWS credentials');
  }
}
