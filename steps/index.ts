// The pipeline, read top to bottom. Each step names the steps whose outputs it
// needs; the runner starts a step as soon as those are done, so independent
// steps overlap. Later steps (network, rds, ...) join this list in order.
import { ecrPush } from './ecr-push.js';
import { s3Buckets } from './s3-buckets.js';
import type { Step } from './step.js';

export const steps: readonly Step<any>[] = [
  ecrPush,
  s3Buckets,
];
