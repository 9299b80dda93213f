import { describe, expect, it } from 'vitest';
import { rollbackTarget } from '../../../src/aws/task-revisions.js';

describe('rollbackTarget', () => {
  it('goes to the newest revision older than the running one, skipping deregistered ones', () => {
    expect(rollbackTarget([1, 2, 3], 3)).toEqual({ revision: 2 });
    expect(rollbackTarget([1, 4, 6], 6)).toEqual({ revision: 4 });
    // Running a revision already rolled back to: the one before it.
    expect(rollbackTarget([1, 2, 3], 2)).toEqual({ revision: 1 });
  });
  it('says why when there is nowhere to go', () => {
    expect(rollbackTarget([3], 3)).toEqual({ problem: 'no active revision older than 3 to go back to' });
    expect(rollbackTarget([1, 2], 2, 2)).toEqual({ problem: 'it already runs revision 2' });
    expect(rollbackTarget([1, 2], 2, 5)).toEqual({ problem: 'revision 5 is not an active revision (active: 1, 2)' });
  });
  it('takes a named active revision, older or newer', () => {
    expect(rollbackTarget([1, 2, 3], 1, 3)).toEqual({ revision: 3 });
  });
});
