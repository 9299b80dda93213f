import { z } from 'zod';

// The keys that page someone when the app is unwell and when it costs more
// than planned: alarms and budget.

const emails = z.array(z.email('expected an e-mail address such as ops@example.com')).min(1, 'list at least one address');

/** Every threshold has a default; each can be overridden by name. */
export const thresholds = z.strictObject({
  loadBalancer5xx: z.number().int().min(1).default(10).describe('5xx answers from the load balancer itself per minute, 5 minutes running'),
  target5xxPercent: z.number().min(0.1).max(100).default(5).describe('percent of requests the app answers with 5xx, over 5 minutes'),
  unhealthyHosts: z.number().int().min(1).default(1).describe('unhealthy targets of a web service, 5 minutes running'),
  p95Seconds: z.number().min(0.01).default(2).describe('95th percentile response time in seconds, over 5 minutes'),
  cpuPercent: z.number().min(1).max(100).default(80).describe("a service's average CPU, 15 minutes running"),
  memoryPercent: z.number().min(1).max(100).default(85).describe("a service's average memory, 15 minutes running"),
  dbCpuPercent: z.number().min(1).max(100).default(80).describe("the database's CPU, 15 minutes running"),
  dbFreeStorageGb: z.number().min(0.1).default(2).describe("the database's free storage in GB"),
  dbConnections: z.number().int().min(1).default(80).describe('open database connections'),
  cacheMemoryPercent: z.number().min(1).max(100).default(80).describe("the cache's memory use"),
  cacheEvictions: z.number().int().min(1).default(100).describe('keys the cache evicted in 5 minutes'),
});

export const alarms = z.strictObject({
  email: emails.describe('addresses that get the alarm e-mails (each confirms its subscription once)'),
  thresholds: thresholds.partial().default({}).describe('override a default threshold by name'),
});

export const budget = z.strictObject({
  monthlyUsd: z.number().positive().max(1_000_000).describe('the monthly cost budget in US dollars'),
  email: emails.describe('addresses told at 80% forecast and 100% actual'),
});

export type Thresholds = z.output<typeof thresholds>;
