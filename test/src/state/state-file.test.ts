import { describe, expect, it } from 'vitest';
import { STATE_VERSION, upgradeState } from '../../../src/state/state-file.js';
import { StateError } from '../../../src/errors.js';

const corrupt = (why: string) => new StateError(why);
const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-prod/50dc6c495c0c9188';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-prod/73e2d6bc24d8a067';

describe('state format upgrades', () => {
  it('1 → 2: the load balancer outputs leave the service step for their own, pending, so deploy adopts the same one once', () => {
    const v1 = {
      version: 1,
      app: 'shop',
      env: 'prod',
      steps: {
        service: {
          status: 'done',
          inputHash: 'abc',
          outputs: {
            clusterName: 'shop-prod',
            loadBalancerArn: LB,
            dnsName: 'shop-prod-1.us-east-1.elb.amazonaws.com',
            url: 'http://shop-prod-1.us-east-1.elb.amazonaws.com',
            services: { web: { kind: 'web', targetGroupArn: TG }, worker: { kind: 'worker' } },
          },
        },
      },
    };
    const s = upgradeState(structuredClone(v1), 'test', 'shop', corrupt);
    expect(s.version).toBe(STATE_VERSION);
    expect(s.steps['load-balancer']).toEqual({
      status: 'pending',
      outputs: {
        loadBalancerArn: LB,
        dnsName: 'shop-prod-1.us-east-1.elb.amazonaws.com',
        url: 'http://shop-prod-1.us-east-1.elb.amazonaws.com',
        targetGroups: { web: TG },
        retiredTargetGroups: [],
      },
    });
    expect(s.steps.service).toEqual({ status: 'done', inputHash: 'abc', outputs: { clusterName: 'shop-prod', services: v1.steps.service.outputs.services } });
  });

  it('1 → 2 leaves a worker-only app (no load balancer) as it was', () => {
    const steps = { service: { status: 'done', outputs: { clusterName: 'q-prod', services: { worker: { kind: 'worker' } } } } };
    expect(upgradeState({ version: 1, app: 'q', env: 'prod', steps }, 'test', 'q', corrupt).steps).toEqual(steps);
  });
});
