/** Integration suite: real tools (helm, promtool, PostgreSQL, redis-server...). `npm run test:integration`. */
const base = require('./jest.config');
module.exports = {
  ...base,
  roots: ['<rootDir>/test/integration'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 120000,
  maxWorkers: 1,
};
