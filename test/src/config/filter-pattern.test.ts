import { describe, expect, it } from 'vitest';
import { filterPatternProblem } from '../../../src/config/filter-pattern.js';
import { parseConfig } from '../../../src/config/load-config.js';
import { InputError } from '../../../src/errors.js';

// Patterns from "Filter pattern syntax for metric filters" in the CloudWatch Logs guide: each of these parses there.
const VALID = [
  'ERROR',
  '"timed out"',
  'ERROR -Exiting',
  '?ERROR ?WARN',
  '{ $.level = "error" }',
  '{ $.eventType = "UpdateTrail" }',
  '{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }',
  '{ $.bandwidth > 75 }',
  '{ $.latency >= 1000 || $.status != 200 }',
  '{ $.fieldName IS NULL }',
  '{ $.SomeObject NOT EXISTS }',
  '{ $.message = "*timeout*" }',
  '[ip, user, username, timestamp, request, status_code = 4*, bytes]',
  '[..., status_code = 5*, bytes > 1000]',
  '%ERROR [0-9]+%',
];

describe('CloudWatch Logs filter patterns', () => {
  it.each(VALID)('accepts %s', (p) => expect(filterPatternProblem(p)).toBeUndefined());

  it.each([
    ['{ $.level = "error" ', '"{" is not closed'],
    ['{ $.level = "error }', 'a quote (") is not closed'],
    ['{ $.level = }', 'compares with nothing'],
    ['{ level = "error" }', 'is not a condition on a selector'],
    ['{ $.level "error" }', 'has no operator'],
    ['{ $.a = 1 && }', 'with nothing on one side'],
    ['{ }', 'needs a condition'],
    ['[ip, , status]', 'empty field between commas'],
    ['ERROR )', 'closes nothing'],
  ])('refuses %s', (p, says) => expect(filterPatternProblem(p)).toContain(says));

  it('a pattern that does not parse stops the config check, naming the key, before any call', () => {
    const config = {
      app: 'shop',
      region: 'us-east-1',
      image: {},
      service: { port: 8080 },
      alarms: { email: ['ops@example.com'], logPatterns: [{ name: 'errors', pattern: '{ $.level = "error" ', threshold: 10 }] },
    };
    let err: unknown;
    try {
      parseConfig(JSON.stringify(config), 'deploy-wizard.json', 'prod');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).problems.join('\n')).toContain('alarms.logPatterns[0].pattern: not a CloudWatch Logs filter pattern: "{" is not closed');
  });
});
