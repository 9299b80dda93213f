import { describe, expect, it } from 'vitest';
import { PRICES_AS_OF, REGIONAL, pricesFor, rdsMonthly } from '../../src/pricing.js';
import { estimateCost } from '../../src/pipeline/estimate-cost.js';
import { parseConfig } from '../../src/config/load-config.js';
import { loadAllSteps } from '../../steps/index.js';
import type { Config } from '../../src/config/schema.js';

const all = await loadAllSteps();
const steps = (c: Config) => all.filter((s) => !s.enabled || s.enabled(c));

const config = (region: string) =>
  parseConfig(
    JSON.stringify({
      app: 'priced',
      region,
      image: {},
      service: { port: 8080, cpu: 512, memory: 1024, desiredCount: 2 },
      database: { name: 'app_db', instanceClass: 'db.t4g.small', allocatedStorageGb: 20 },
    }),
    'test',
    'prod',
  );

describe('the price table', () => {
  it('has its own prices for the six regions most apps run in, with an as-of date', () => {
    expect(Object.keys(REGIONAL).sort()).toEqual(['ap-southeast-1', 'ap-southeast-2', 'eu-central-1', 'eu-west-1', 'us-east-1', 'us-west-2']);
    for (const r of Object.keys(REGIONAL)) expect(pricesFor(r)).toMatchObject({ region: r, exact: true });
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d\d-\d\d$/);
    const note = estimateCost(config('eu-central-1'), steps(config('eu-central-1'))).note;
    expect(note).toBe(`On-demand list prices for eu-central-1 as of ${PRICES_AS_OF}; data transfer not included.`);
  });

  it('another region says whose prices it used, leaning to the dearer neighbour', () => {
    expect(pricesFor('eu-north-1')).toMatchObject({ region: 'eu-central-1', exact: false });
    expect(pricesFor('ca-central-1')).toMatchObject({ region: 'us-east-1', exact: false });
    expect(pricesFor('sa-east-1')).toMatchObject({ region: 'ap-southeast-1', exact: false });
    expect(estimateCost(config('eu-north-1'), steps(config('eu-north-1'))).note).toContain("(none on file for eu-north-1: eu-central-1's used)");
  });

  it('prices the same app by region: Fargate, the load balancer and the database differ', () => {
    const total = (r: string) => estimateCost(config(r), steps(config(r))).total;
    expect(total('us-west-2')).toBe(total('us-east-1'));
    expect(total('eu-west-1')).toBeGreaterThan(total('us-east-1'));
    expect(total('ap-southeast-1')).toBeGreaterThan(total('eu-west-1'));
    expect(rdsMonthly('eu-central-1', 'db.t4g.small', 20)).toBeGreaterThan(rdsMonthly('us-east-1', 'db.t4g.small', 20)!);
    expect(rdsMonthly('us-east-1', 'db.x9.huge', 20)).toBeUndefined();
  });
});
