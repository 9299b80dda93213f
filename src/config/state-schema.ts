import { z } from 'zod';
import { bucketNameProblem } from './bucket-name.js';
import { regionProblem } from './regions.js';

// Where the state lives: this disk (the default) or one S3 object per app and
// env, shared by every checkout and CI runner that deploys it.

/** S3 key characters that need no escaping anywhere, and no leading slash. */
export const STATE_PREFIX = /^(?!\/)[A-Za-z0-9!_.*'()/-]*$/;
export const STATE_PREFIX_RULE = 'use letters, digits and - _ . / (no leading slash)';

export const stateSection = z
  .strictObject({
    backend: z.enum(['local', 's3']).default('local').describe('local: .deploy-wizard/ on this disk; s3: one object per app and env in the bucket'),
    bucket: z
      .string()
      .superRefine((b, ctx) => {
        const p = bucketNameProblem(b);
        if (p) ctx.addIssue({ code: 'custom', message: `"${b}" ${p}` });
      })
      .optional()
      .describe('the state bucket (deploy-wizard state init creates it)'),
    prefix: z.string().regex(STATE_PREFIX, STATE_PREFIX_RULE).max(200).default('').describe('a key prefix inside the bucket, such as ledger/'),
    region: z
      .string()
      .superRefine((r, ctx) => {
        const p = regionProblem(r);
        if (p) ctx.addIssue({ code: 'custom', message: p });
      })
      .optional()
      .describe("the bucket's region when it is not the app's"),
  })
  .superRefine((s, ctx) => {
    if (s.backend === 's3' && !s.bucket)
      ctx.addIssue({ code: 'custom', path: ['bucket'], message: 'required when backend is "s3" (run deploy-wizard state init)' });
  });

export type StateSection = z.output<typeof stateSection>;
