import { CognitoIdentityProviderClient, ListUserPoolsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

// Reading back what a deploy made, straight from the stand-ins (us-east-1, as the tests deploy).

/** The user pools of this name: more than one would be a twin. */
export async function poolsNamed(name: string) {
  const all = (await new CognitoIdentityProviderClient({ region: 'us-east-1' }).send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools ?? [];
  return all.filter((p) => p.Name === name);
}

/** A JSON secret's value. */
export async function secretJson(id: string) {
  return JSON.parse((await new SecretsManagerClient({ region: 'us-east-1' }).send(new GetSecretValueCommand({ SecretId: id }))).SecretString!);
}
