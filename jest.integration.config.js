/** Integration suite: real tools (helm, promtool, PostgreSQL, redis-server...). `npm run test:integration`. */
const base = require('./jest.config');
module.exports = {
  ...base,
  roots: ['<rootDir>/test/integration'],
  testPathIgnorePatterns: ['/node_modules/'],
  // Per test: the drills run several aws CLI and database processes; at a load of 15-20 one took over 120 s.
  testTimeout: 300000,
  maxWorkers: 1,
};
