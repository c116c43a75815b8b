import { LabelSelector, matchesSelector } from '../../lib/core/label-selector';

const labels = { app: 'api', tier: 'web' };

describe('matchesSelector', () => {
  test.each<[string, LabelSelector | undefined, boolean]>([
    ['an absent selector matches nothing', undefined, false],
    ['an empty selector matches everything', {}, true],
    ['matchLabels: all present with the same value', { matchLabels: { app: 'api' } }, true],
    ['matchLabels: a different value', { matchLabels: { app: 'db' } }, false],
    ['In', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, true],
    ['In, label absent', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, false],
    ['NotIn', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, false],
    ['NotIn, label absent', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    ['labels and expressions together', { matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['an unknown operator matches nothing (never widens a policy)', { matchExpressions: [{ key: 'app', operator: 'Equals' }] }, false],
  ])('%s', (_name, selector, expected) => {
    expect(matchesSelector(selector, labels)).toBe(expected);
  });

  test('absent labels are no labels', () => {
    expect(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, undefined)).toBe(true);
  });
});
