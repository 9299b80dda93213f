import { describe, expect, it } from 'vitest';
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { cognito, updateInput } from '../../steps/cognito/apply.js';
import { stepContext, MUTATING } from '../helpers/step-context.js';
import { startAwsProxy } from '../helpers/aws-proxy.js';
import { poolsNamed } from '../helpers/read-back.js';

const idp = () => new CognitoIdentityProviderClient({ region: 'us-east-1' });
describe('cognito against moto', () => {
  it('a CreateUserPool whose answer was lost is found by name and tags and adopted: never a second pool', async () => {
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL!);
    let lost = 0;
    proxy.decide((r) => (r.action === 'CreateUserPool' && lost++ === 0 ? 'lose-answer' : 'pass'));
    const moto = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = proxy.url;
    try {
      const { ctx, app, logs } = stepContext({ auth: { cognito: {} } });
      const out = await cognito.apply(ctx);
      expect(lost).toBe(1);
      expect(await poolsNamed(`${app}-prod`)).toEqual([expect.objectContaining({ Id: out.userPoolId })]);
      expect(logs.join('\n')).toContain('answer was lost; adopting it');
    } finally {
      process.env.AWS_ENDPOINT_URL = moto;
      await proxy.close();
    }
  });

  it('creates the pool with the password policy and MFA, and a client with a secret and the auth flows', async () => {
    const calls: string[] = [];
    const { ctx, app } = stepContext({ auth: { cognito: { passwordMinLength: 14, mfa: 'ON' } } }, { onCall: (c) => calls.push(c.command) });
    const out = await cognito.apply(ctx);
    const pool = (await idp().send(new DescribeUserPoolCommand({ UserPoolId: out.userPoolId }))).UserPool!;
    expect(pool.Name).toBe(`${app}-prod`);
    expect(pool.Policies?.PasswordPolicy).toMatchObject({
      MinimumLength: 14,
      RequireUppercase: true,
      RequireLowercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
    });
    expect(pool.AutoVerifiedAttributes).toEqual(['email']);
    expect(pool.UserPoolTags).toMatchObject({ 'deploy-wizard:app': app, 'deploy-wizard:env': 'prod' });
    const mfa = await idp().send(new GetUserPoolMfaConfigCommand({ UserPoolId: out.userPoolId }));
    expect(mfa.MfaConfiguration).toBe('ON');
    expect(mfa.SoftwareTokenMfaConfiguration?.Enabled).toBe(true);
    const client = (await idp().send(new DescribeUserPoolClientCommand({ UserPoolId: out.userPoolId, ClientId: out.clientId }))).UserPoolClient!;
    expect(client.ClientSecret).toBeTruthy();
    expect([...client.ExplicitAuthFlows!].sort()).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
    expect(client.PreventUserExistenceErrors).toBe('ENABLED');
    expect(JSON.stringify(out)).not.toContain(client.ClientSecret!);

    calls.length = 0;
    expect(await cognito.apply(ctx)).toEqual(out);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
    expect(await poolsNamed(`${app}-prod`)).toHaveLength(1);

    ctx.config.auth!.cognito!.passwordMinLength = 16;
    await cognito.apply(ctx);
    expect((await idp().send(new DescribeUserPoolCommand({ UserPoolId: out.userPoolId }))).UserPool!.Policies?.PasswordPolicy?.MinimumLength).toBe(16);
  });

  it('a password policy change keeps what the wizard does not manage: Lambda triggers, email configuration, message templates, add-ons', async () => {
    const sent: any[] = [];
    const { ctx } = stepContext({ auth: { cognito: {} } }, { onCall: (c) => c.command === 'UpdateUserPool' && sent.push(c.input) });
    const out = await cognito.apply(ctx);
    const trigger = 'arn:aws:lambda:us-east-1:123456789012:function:pre-signup';
    // Someone set these in the console after the first deploy.
    await idp().send(
      new UpdateUserPoolCommand({
        ...updateInput(ctx, (await idp().send(new DescribeUserPoolCommand({ UserPoolId: out.userPoolId }))).UserPool!),
        LambdaConfig: { PreSignUp: trigger },
        EmailConfiguration: { EmailSendingAccount: 'COGNITO_DEFAULT', ReplyToEmailAddress: 'support@example.com' },
        VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_CODE', EmailSubject: 'Your code', EmailMessage: 'Code: {####}' },
        UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT' },
      }),
    );
    ctx.config.auth!.cognito!.passwordMinLength = 20;
    await cognito.apply(ctx);
    const pool = (await idp().send(new DescribeUserPoolCommand({ UserPoolId: out.userPoolId }))).UserPool!;
    expect(pool.Policies?.PasswordPolicy?.MinimumLength).toBe(20);
    // What was sent carries every setting back (moto keeps only some of them, so the request is the evidence).
    const last = sent.at(-1);
    expect(last.LambdaConfig).toMatchObject({ PreSignUp: trigger });
    expect(last.EmailConfiguration).toMatchObject({ ReplyToEmailAddress: 'support@example.com' });
    expect(last.VerificationMessageTemplate).toMatchObject({ EmailSubject: 'Your code' });
    expect(last.UserPoolAddOns).toMatchObject({ AdvancedSecurityMode: 'AUDIT' });
    expect(last.AdminCreateUserConfig?.UnusedAccountValidityDays).toBeUndefined();
    expect(pool.LambdaConfig?.PreSignUp).toBe(trigger);
  });
});
