import { ConfigError, loadConfig } from '../shared/config.js';

/** The settings whose defaults and checks decide who can reach and impersonate an install. */
describe('configuration that keeps an install closed', () => {
  test('outside production, tokens are signed with a key of its own, new at each start, and the API listens on loopback', () => {
    for (const env of ['development', 'test']) {
      const first = loadConfig({ NODE_ENV: env });
      expect(first.jwtSecret).not.toBe(loadConfig({ NODE_ENV: env }).jwtSecret);
      expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
      expect(first.host).toBe('127.0.0.1');
    }
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'Vq3xT9pLm2Rk7Zs4Wc8Yn1Hb6Jd5Fg0a' }).host).toBe(
      '0.0.0.0',
    );
  });

  test.each(['development', 'production'])('%s refuses a published secret', (env) => {
    expect(() =>
      loadConfig({ NODE_ENV: env, JWT_SECRET: 'evently-development-secret-do-not-use-in-production' }),
    ).toThrow(
      new ConfigError(
        'Invalid configuration: JWT_SECRET is or contains a published default; set a secret of your own',
      ),
    );
  });

  const production = (env: Record<string, string>) => () =>
    loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'Vq3xT9pLm2Rk7Zs4Wc8Yn1Hb6Jd5Fg0a', ...env });

  test.each([
    [
      'a published one with a trailing space',
      'replace-with-the-output-of-openssl-rand-base64-48 ',
      'must not start or end',
    ],
    [
      'a published one with a trailing newline',
      'evently-compose-development-secret-change-me-0123456789\n',
      'must not start or end',
    ],
    [
      'a published one with a carriage return',
      'evently-compose-development-secret-change-me-0123456789\r',
      'must not start or end',
    ],
    [
      'a published one in quotes',
      '"replace-with-the-output-of-openssl-rand-base64-48"',
      'must not start or end',
    ],
    [
      'a published one in upper case',
      'REPLACE-WITH-THE-OUTPUT-OF-OPENSSL-RAND-BASE64-48',
      'published default',
    ],
    [
      'a published one with a suffix',
      'evently-development-secret-do-not-use-in-production2',
      'published default',
    ],
    ['a published word repeated', 'change-me-please-change-me-please-change-me', 'published default'],
    ['a repeated unit', 'abcdefghij'.repeat(4), 'too easy to guess'],
    ['a digit run', '0123456789012345678901234567890123', 'too easy to guess'],
    ['a keyboard run', 'qwertyuiopasdfghjklzxcvbnmqwertyuiop', 'too easy to guess'],
  ])('production refuses a JWT_SECRET that is %s', (_, value, problem) => {
    expect(production({ JWT_SECRET: value })).toThrow(problem);
  });

  test.each([
    ['a common word with digits', 'password1234567', 'common word'],
    ['a published one with a newline', 'replace-with-a-long-random-password\n', 'must not start or end'],
    ['a keyboard run with digits', 'asdfghjkl12345', 'too easy to guess'],
    ['a repeated unit', 'xy7xy7xy7xy7xy7', 'too easy to guess'],
  ])('production refuses an ADMIN_PASSWORD that is %s', (_, value, problem) => {
    expect(production({ ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: value })).toThrow(problem);
  });

  test.each([
    ['48 random bytes, base64', 'yD9Tq2mXc7LfK0sVb4Rn8WzJ1hGp6AeUo3iQx5Nt/ZkYw+BvCd2Fr7Hs9Lm0Pa4E'],
    ['32 random bytes, hex', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
  ])('production accepts a generated JWT_SECRET (%s)', (_, value) => {
    expect(production({ JWT_SECRET: value })().jwtSecret).toBe(value);
  });

  test('production accepts a generated admin password', () => {
    const password = 'Tz8#qLw2vN!x5Rb';
    expect(production({ ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: password })().adminPassword).toBe(
      password,
    );
  });
});

describe('Redis settings', () => {
  test('REDIS_CLUSTER_NODES: host:port seed nodes, IPv6 in brackets; unset, the one node of REDIS_URL', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).redisClusterNodes).toEqual([]);
    expect(
      loadConfig({
        NODE_ENV: 'test',
        REDIS_CLUSTER_NODES: ' 10.0.0.5:6379, redis-2.internal:7000,[::1]:7001',
      }).redisClusterNodes,
    ).toEqual([
      { host: '10.0.0.5', port: 6379 },
      { host: 'redis-2.internal', port: 7000 },
      { host: '::1', port: 7001 },
    ]);
  });

  test.each(['10.0.0.5', '10.0.0.5:0', 'redis://10.0.0.5:6379', '10.0.0.5:6379:1', 'host:99999'])(
    'REDIS_CLUSTER_NODES refuses %s with one line naming it',
    (entry) => {
      expect(() => loadConfig({ NODE_ENV: 'test', REDIS_CLUSTER_NODES: entry })).toThrow(
        `REDIS_CLUSTER_NODES: "${entry}" is not host:port`,
      );
    },
  );

  test('REDIS_PREFIX refuses braces: a hash tag there would put every key on one cluster slot', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', REDIS_PREFIX: '{evently}' })).toThrow('REDIS_PREFIX');
  });
});

describe('tracing settings (the standard OTEL_* variables)', () => {
  const tracing = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env }).tracing;

  test.each<[string, Record<string, string>, string[]]>([
    ['off by default', {}, []],
    ['an exporter asked for', { OTEL_TRACES_EXPORTER: 'otlp' }, ['otlp']],
    ['two, in any case and spacing', { OTEL_TRACES_EXPORTER: ' OTLP, console' }, ['otlp', 'console']],
    ['an OTLP endpoint alone means otlp', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, ['otlp']],
    [
      'the traces endpoint alone too',
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' },
      ['otlp'],
    ],
    [
      'none wins over an endpoint',
      { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' },
      [],
    ],
    [
      'OTEL_SDK_DISABLED=true wins over everything',
      {
        OTEL_SDK_DISABLED: 'TRUE',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      },
      [],
    ],
    [
      'OTEL_SDK_DISABLED=false changes nothing',
      { OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'console' },
      ['console'],
    ],
  ])('%s', (_, env, exporters) => {
    expect(tracing(env)).toEqual({ exporters });
  });

  test.each([
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER: "zipkin" is not supported'],
    [{ OTEL_TRACES_EXPORTER: 'none,otlp' }, 'none cannot be combined'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported'],
    [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED'],
  ])('%j stops start-up with one line naming it', (env, message) => {
    expect(() => tracing(env)).toThrow(
      new RegExp(`^Invalid configuration: .*${message.replace(/[.*"]/g, '.')}`),
    );
  });
});
