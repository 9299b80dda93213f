import { describe, expect, it } from 'vitest';
import { eventProblems } from '../helpers/events.js';

// The schema itself must reject what is not an event; the real events are checked wherever a test runs --json.
describe('schema/events.schema.json', () => {
  it('accepts each kind of event and rejects malformed ones', () => {
    const ts = '2026-11-22T10:00:00.000Z';
    const good = [
      { step: 'network', status: 'started', timestamp: ts },
      { step: 'deploy', status: 'failed', message: 'x', exitCode: 3, timestamp: ts },
      { type: 'log', service: 'web', timestamp: ts, message: 'hi' },
      { type: 'secrets', secret: 'a/prod', keys: [] },
    ];
    expect(eventProblems(good.map((e) => JSON.stringify(e)).join('\n'))).toEqual([]);
    for (const bad of [
      { step: 'network', status: 'finished', timestamp: ts },
      { step: 'network', status: 'done', timestamp: 'yesterday' },
      { step: 'deploy', status: 'failed', exitCode: 4, timestamp: ts },
      { step: 'network', status: 'done', timestamp: ts, secretValue: 'x' },
    ])
      expect(eventProblems(JSON.stringify(bad)), JSON.stringify(bad)).toHaveLength(1);
    expect(eventProblems('progress: 3 of 12')).toHaveLength(1);
  });
});
