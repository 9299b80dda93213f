import { z } from 'zod';
import { hostname } from './edge-schema.js';
import { fargateProblem } from './fargate.js';

// `previews`: environments per pull request on a parent env. A preview shares
// the parent's network, cluster, load balancer, cache and database instance,
// and owns its services, routes, secret, roles and database
// (src/preview/, the steps under steps/preview-*).

export const previews = z
  .strictObject({
    from: z
      .string()
      .regex(/^[a-z](?:[a-z0-9]|-(?!-)){0,30}[a-z0-9]$/, 'the parent env: lowercase letters, digits and single hyphens, such as staging')
      .describe('the env whose network, cluster, load balancer, cache and database instance the previews share'),
    domain: hostname.describe('previews answer at NAME.<domain>, e.g. pr-42.preview.example.com'),
    services: z
      .array(z.string())
      .min(1, 'list at least one service')
      .optional()
      .describe('the services a preview runs (default: every web service); each at size, one task, no autoscaling'),
    database: z
      .enum(['clone', 'empty', 'shared'])
      .default('empty')
      .describe("clone: a copy of the parent's data in a database of its own; empty: a new database, migrated; shared: the parent's, read-only"),
    size: z
      .strictObject({ cpu: z.number().int().default(256), memory: z.number().int().default(512) })
      .superRefine((s, ctx) => {
        const p = fargateProblem(s.cpu, s.memory);
        if (p) ctx.addIssue({ code: 'custom', message: p });
      })
      .default({ cpu: 256, memory: 512 })
      .describe("each preview task's vCPU units and memory (MiB)"),
    ttlDays: z
      .number()
      .int()
      .min(1)
      .max(90)
      .default(7)
      .describe('preview prune removes previews not updated for this many days; dumps taken at down expire after it'),
    maxCloneMb: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(2048)
      .describe('a clone of a parent database larger than this is refused (use --schema-only, or database "empty")'),
  })
  .describe('preview environments per pull request: deploy-wizard preview up NAME');

export type PreviewsSection = z.output<typeof previews>;
