import { describe, expect, it } from 'vitest';
import { NAME_RULES, originAccessControlName, scheduleGroupName, scheduleName } from '../../../src/aws/names.js';

// The longest app and env the config and --env accept (2-32 lowercase letters, digits, single hyphens), and a long part name.
const APP = 'a2345678901234567890123456789012';
const ENV = 'e2345678901234567890123456789012';
const PART = 'nightly-digest-for-all-users';

describe('every name the wizard makes fits its AWS rule', () => {
  it('for a 32-character app and a 32-character env', () => {
    expect([APP.length, ENV.length]).toEqual([32, 32]);
    for (const r of NAME_RULES) {
      const name = r.make(APP, ENV, PART);
      expect(name.length, `${r.resource}: ${name}`).toBeLessThanOrEqual(r.max);
      expect(name, r.resource).toMatch(r.pattern);
    }
  });

  it('keeps short names as they were (nothing deployed is renamed), and two long names apart', () => {
    expect(originAccessControlName({ app: 'shop', env: 'prod' })).toBe('shop-prod-site');
    expect(scheduleGroupName({ app: 'shop', env: 'prod' })).toBe('shop-prod');
    expect(scheduleName({ app: 'shop', env: 'prod' }, 'nightly')).toBe('shop-prod-nightly');
    // The case: over 64 before, now cut with a hash and still saying what it is.
    expect(`${APP}-${ENV}-site`.length).toBeGreaterThan(64);
    expect(originAccessControlName({ app: APP, env: ENV })).toMatch(/^a2345.*-[0-9a-f]{8}-site$/);
    for (const r of NAME_RULES) expect(r.make(APP, ENV, PART), r.resource).not.toBe(r.make(APP, `${ENV.slice(0, -1)}x`, PART));
    expect(scheduleName({ app: APP, env: ENV }, 'a')).not.toBe(scheduleName({ app: APP, env: ENV }, 'b'));
  });
});
