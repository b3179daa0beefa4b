import { ConfigError, loadConfig } from '../shared/config.js';

/** The settings whose defaults decide who can reach and impersonate a fresh install. */
describe('configuration defaults that keep a fresh install closed', () => {
  test('development signs tokens with a key of its own, new at each start, and listens on loopback', () => {
    const first = loadConfig({ NODE_ENV: 'development' });
    const second = loadConfig({ NODE_ENV: 'development' });
    expect(first.jwtSecret).not.toBe(second.jwtSecret);
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.host).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'Vq3xT9pLm2Rk7Zs4Wc8Yn1Hb6Jd5Fg0a' }).host).toBe(
      '0.0.0.0',
    );
  });

  test.each(['development', 'production'])('%s refuses a published secret', (env) => {
    expect(() =>
      loadConfig({ NODE_ENV: env, JWT_SECRET: 'evently-development-secret-do-not-use-in-production' }),
    ).toThrow(
      new ConfigError('Invalid configuration: JWT_SECRET is a published default; set a secret of your own'),
    );
  });

  test('only the tests sign with the fixed test key', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).jwtSecret).toBe(
      'evently-development-secret-do-not-use-in-production',
    );
  });
});
