import type { TestProject } from 'vitest/node';
// @ts-expect-error plain JS module shared with the demo script
import { startStandins } from '../../scripts/standins.mjs';
import { startAwsProxy } from './aws-proxy.js';
import { cloudFrontFunctions } from './cloudfront-functions.js';
import { chatbotStandin, EXAMPLE_WORKSPACE } from './chatbot.js';

declare module 'vitest' {
  export interface ProvidedContext {
    standins: { env: Record<string, string>; logs: Record<string, string>; dir: string };
  }
}

/**
 * Starts moto, the registry and podman's API once for the whole run; stops them by pid. Every AWS call of the
 * tests goes through one proxy in front of moto that fills the gaps every test meets alike (CloudFront Functions,
 * test/helpers/cloudfront-functions.ts; AWS Chatbot, test/helpers/chatbot.ts); per-test faults chain their own proxy
 * in front of it.
 */
export default async function setup(project: TestProject) {
  const s = await startStandins();
  const functions = cloudFrontFunctions();
  // It records nothing: a whole run would hold every request.
  const chatbot = chatbotStandin(s.env.AWS_ENDPOINT_URL, { authorised: [EXAMPLE_WORKSPACE] });
  const gaps = await startAwsProxy(s.env.AWS_ENDPOINT_URL, (r) => functions(r) ?? chatbot.decide(r) ?? 'pass', { record: false });
  project.provide('standins', { env: { ...s.env, AWS_ENDPOINT_URL: gaps.url }, logs: s.logs, dir: s.dir });
  return async () => {
    await gaps.close();
    await s.stop();
  };
}
