import { describe, expect, it } from 'vitest';
import { parseSince } from '../../../src/logs/parse-since.js';

describe('parseSince', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  it('takes durations back from now and moments (UTC unless zoned)', () => {
    expect(parseSince('15m', now)?.toISOString()).toBe('2026-11-22T11:45:00.000Z');
    expect(parseSince('2h', now)?.toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(parseSince('1d', now)?.toISOString()).toBe('2026-11-21T12:00:00.000Z');
    expect(parseSince('2026-11-20T10:00', now)?.toISOString()).toBe('2026-11-20T10:00:00.000Z');
    expect(parseSince('2026-11-20T10:00+02:00', now)?.toISOString()).toBe('2026-11-20T08:00:00.000Z');
  });
  it('refuses anything else', () => {
    for (const v of ['yesterday', '15', '2 weeks', '2026-13-45T99:00']) expect(parseSince(v, now), v).toBeUndefined();
  });
});
