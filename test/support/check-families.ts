/** The check families every full run reports, in the order the report lists them. */
export const ALL_CHECK_FAMILIES: readonly string[] = [
  'schema',
  'pod-security',
  'best-practices',
  'secrets',
  'reachability',
  'connections',
  'disruption',
  'capacity',
];
