import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { ConfigError } from '../shared/config.js';
import {
  assertAllowedDestination,
  BlockedDestination,
  isPublicAddress,
  type Resolver,
} from '../shared/webhooks/address-guard.js';
import { generateSecret } from '../shared/webhooks/signing.js';
import { failureCategory, sendWebhook } from '../worker/webhooks/send.js';
import { type Actor, createActor } from './support/actors.js';
import { testConfig, testEnv } from './support/config.js';
import { useTestApi } from './support/environment.js';

/** A resolver that answers every name with these addresses (a DNS record the attacker controls). */
const resolvingTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: net.isIP(address.split('%')[0]!) || 6 }));

describe('SSRF guard: only global unicast addresses', () => {
  test.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82a::200e',
    '2001:4860:4860::8888',
  ])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  test.each([
    // IPv4 special-purpose blocks
    '0.0.0.0',
    '10.1.2.3',
    '100.64.0.1',
    '127.0.0.1',
    '127.255.255.254',
    '169.254.169.254',
    '172.16.0.1',
    '192.0.0.8',
    '192.0.2.1',
    '192.168.1.1',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    // IPv6 outside 2000::/3
    '::',
    '::1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'FE80::1',
    'ff02::1',
    '100::1',
    // IPv6 forms that embed an IPv4 address, whatever that address is
    '::7f00:1', // IPv4-compatible ::127.0.0.1
    '::127.0.0.1',
    '::a9fe:a9fe',
    '::ffff:7f00:1', // IPv4-mapped
    '::ffff:127.0.0.1',
    '0:0:0:0:0:FFFF:7F00:0001',
    '::ffff:8.8.8.8', // mapped, even when public: dial the IPv4 address itself
    '::ffff:0:7f00:1', // SIIT
    '::ffff:0:a9fe:a9fe',
    '64:ff9b::7f00:1', // NAT64
    '64:ff9b::a9fe:a9fe',
    '64:ff9b:1::a00:1', // NAT64 local use
    '2002:7f00:1::1', // 6to4
    '2002:a9fe:a9fe::1',
    '2002:808:808::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
    '2001:db8::1', // documentation
    '2001:2::1', // benchmarking
    '3fff::1',
    // Not addresses at all, or scoped
    'fe80::1%eth0',
    '2606:4700:4700::1111%1',
    'localhost',
    '2130706433',
    '0x7f.1',
    '017700000001',
    '127.1',
    '',
  ])('%s is refused', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  test.each(['::ffff:127.0.0.1', '::7f00:1', '::ffff:0:7f00:1', '2002:a9fe:a9fe::1', '64:ff9b::a9fe:a9fe'])(
    'a name resolving to %s is refused at registration',
    async (address) => {
      await expect(
        assertAllowedDestination(new URL('https://hooks.partner.test/x'), [], resolvingTo(address)),
      ).rejects.toBeInstanceOf(BlockedDestination);
    },
  );

  test('a name resolving to a public and a private address is refused', async () => {
    await expect(
      assertAllowedDestination(
        new URL('https://hooks.partner.test/x'),
        [],
        resolvingTo('8.8.8.8', '10.0.0.1'),
      ),
    ).rejects.toBeInstanceOf(BlockedDestination);
    await expect(
      assertAllowedDestination(new URL('https://hooks.partner.test/x'), [], resolvingTo('8.8.8.8')),
    ).resolves.toBeUndefined();
  });
});

describe('recorded failure texts are coarse categories', () => {
  const error = (code: string, name = 'RequestError') =>
    Object.assign(new Error(`connect ${code} 10.0.0.5:6379`), { code, name });
  test.each([
    ['BlockedDestination', 'destination not allowed', new BlockedDestination()],
    ['ERR_WEBHOOK_DESTINATION_REFUSED', 'destination not allowed', error('ERR_WEBHOOK_DESTINATION_REFUSED')],
    ['ETIMEDOUT', 'timeout', error('ETIMEDOUT', 'TimeoutError')],
    // A name that does not resolve reads as one resolving to a private address: no DNS oracle.
    ['ENOTFOUND', 'destination not allowed', error('ENOTFOUND')],
    ['EAI_AGAIN', 'destination not allowed', error('EAI_AGAIN')],
    ['EAI_FAIL', 'destination not allowed', error('EAI_FAIL')],
    ['ENODATA', 'destination not allowed', error('ENODATA')],
    ['CERT_HAS_EXPIRED', 'TLS error', error('CERT_HAS_EXPIRED')],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'TLS error', error('ERR_TLS_CERT_ALTNAME_INVALID')],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'TLS error', error('DEPTH_ZERO_SELF_SIGNED_CERT')],
    ['ECONNREFUSED', 'connection failed', error('ECONNREFUSED')],
    ['ECONNRESET', 'connection failed', error('ECONNRESET')],
    ['EHOSTUNREACH', 'connection failed', error('EHOSTUNREACH')],
    ['an Error without a code', 'connection failed', new Error('anything else')],
  ])('%s is recorded as %s', (_, category, err) => {
    expect(failureCategory(err)).toBe(category);
  });
});

describe('WEBHOOK_ALLOW_PRIVATE takes host:port', () => {
  test('entries are normalised as URLs are', () => {
    const config = testConfig(
      testEnv({ WEBHOOK_ALLOW_PRIVATE: '127.0.0.1:4000, [::1]:4000,LOCALHOST:4000,0x7f.1:4001,[0:0::1]:80' }),
    );
    expect(config.webhooks.allowPrivateDestinations).toEqual([
      '127.0.0.1:4000',
      '[::1]:4000',
      'localhost:4000',
      '127.0.0.1:4001',
      '[::1]:80',
    ]);
  });

  test.each([
    '127.0.0.1',
    'localhost',
    '[::1]',
    '::1:4000',
    '127.0.0.1:0',
    '127.0.0.1:65536',
    '127.0.0.1:*',
    'http://127.0.0.1:4000',
    'user@127.0.0.1:4000',
    '127.0.0.1:4000/x',
  ])('a bare host or anything else but host:port (%s) is a one-line config error', (entry) => {
    const load = () => testConfig(testEnv({ WEBHOOK_ALLOW_PRIVATE: `127.0.0.1:4000,${entry}` }));
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      /^Invalid configuration: WEBHOOK_ALLOW_PRIVATE: ".+" is not host:port \(e\.g\. [^\n]+\)$/,
    );
  });
});

describe('registration refuses every spelling of a non-public destination', () => {
  const api = useTestApi({ WEBHOOK_ALLOW_PRIVATE: '127.0.0.1:4000,[::1]:4001,localhost:4002' });

  const endpointsOf = async (owner: Actor) =>
    (
      await api.deps.sequelize.query<{ url: string }>(
        'SELECT url FROM webhook_endpoints WHERE user_id = $owner',
        { bind: { owner: owner.id }, type: QueryTypes.SELECT },
      )
    ).map((row) => row.url);

  const register = async (owner: Actor, url: string) =>
    request(api.baseUrl)
      .post('/webhook-endpoints')
      .set(owner.auth)
      .send({ url, eventTypes: ['booking.confirmed'] });

  test.each([
    ['IPv4-compatible loopback', 'http://[::127.0.0.1]/'],
    ['IPv4-compatible loopback as stored', 'http://[::7f00:1]/'],
    ['IPv4-compatible metadata', 'http://[::169.254.169.254]/latest/meta-data'],
    ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/'],
    ['IPv4-mapped loopback spelt out, uppercase, leading zeros', 'http://[0000:0:0:0:0:FFFF:7F00:0001]/'],
    ['IPv4-mapped public address', 'http://[::ffff:8.8.8.8]/'],
    ['SIIT loopback', 'http://[::ffff:0:7f00:1]/'],
    ['SIIT metadata', 'http://[::ffff:0:a9fe:a9fe]/'],
    ['6to4 loopback', 'http://[2002:7f00:1::1]/'],
    ['6to4 metadata', 'http://[2002:a9fe:a9fe::1]/'],
    ['Teredo', 'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/'],
    ['NAT64 metadata', 'http://[64:ff9b::a9fe:a9fe]/'],
    ['NAT64 local use', 'http://[64:ff9b:1::a00:1]/'],
    ['IPv6 unspecified', 'http://[::]/'],
    ['IPv6 loopback with leading zeros', 'http://[0000::0001]/'],
    ['unique local', 'http://[fd00::1]/'],
    ['link-local', 'http://[fe80::1]/'],
    ['link-local with a zone id', 'http://[fe80::1%25eth0]/'],
    ['multicast', 'http://[ff02::1]/'],
    ['documentation', 'http://[2001:db8::1]/'],
    ['decimal IPv4', 'http://2130706433/'],
    ['hexadecimal IPv4', 'http://0x7f.1/'],
    ['octal IPv4', 'http://017700000001/'],
    ['octal dotted IPv4', 'http://0177.0.0.01/'],
    ['short IPv4', 'http://127.1/'],
    ['percent-encoded IPv4', 'http://%31%32%37.0.0.1/'],
    ['full-width digits', 'http://１２７.０.０.１/'],
    ['a trailing dot', 'http://127.0.0.1./'],
    ['0.0.0.0 as "0"', 'http://0/'],
    ['decimal metadata', 'http://2852039166/latest/meta-data'],
    ['metadata', 'http://169.254.169.254/'],
    ['CGNAT', 'http://100.64.0.1/'],
    ['broadcast', 'http://255.255.255.255/'],
    ['localhost, uppercase', 'http://LOCALHOST/'],
    ['localhost with a trailing dot', 'http://localhost./'],
    ['the allow-listed host on its default port', 'http://127.0.0.1/'],
    ['the allow-listed host on the Redis port', 'http://127.0.0.1:6379/'],
    ['the allow-listed host on the PostgreSQL port', 'http://127.0.0.1:5432/'],
    ['the allow-listed host on https default port', 'https://127.0.0.1/'],
    ['the allow-listed port under another name', 'http://localhost:4000/'],
    ['the allow-listed IPv6 host on another port', 'http://[::1]:4000/'],
    ['an allow-listed name on another port', 'http://localhost:4001/'],
  ])('%s: 400, nothing written', async (_, url) => {
    const partner = await createActor(api.baseUrl, 'partner');
    const res = await register(partner, url);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(await endpointsOf(partner)).toEqual([]);
  });

  test('one refusal whether the host resolves to a private address or not at all (no DNS oracle)', async () => {
    const partner = await createActor(api.baseUrl, 'partner');
    const created = await register(partner, 'http://127.0.0.1:4000/hook');
    expect(created.status).toBe(201);
    const cases = [
      ['a name resolving to loopback', 'http://localhost:6379/'],
      ['a name resolving to loopback, on an allow-listed port of another name', 'http://localhost:4000/'],
      ['a name that does not resolve (.invalid)', 'http://no-such-host.invalid/'],
      ['another name that does not resolve', 'https://redis.internal.invalid:6379/x'],
      ['a private IPv4 literal', 'http://10.0.0.7/hook'],
      ['metadata', 'http://169.254.169.254/latest/meta-data'],
      ['an IPv6 loopback literal', 'http://[::1]/'],
    ];
    const answers = new Set<string>();
    for (const [what, url] of cases) {
      for (const res of [
        await register(partner, url!),
        await request(api.baseUrl)
          .patch(`/webhook-endpoints/${created.body.id}`)
          .set(partner.auth)
          .send({ url }),
      ]) {
        expect({ what, status: res.status }).toEqual({ what, status: 400 });
        expect(res.body.error.code).toBe('validation_failed');
        answers.add(JSON.stringify(res.body));
      }
    }
    // Byte for byte the same answer, naming neither the host nor what it resolved to.
    expect([...answers]).toEqual([
      JSON.stringify({
        error: {
          code: 'validation_failed',
          message: "Invalid webhook URL: the URL's host must resolve to public addresses",
          details: [{ in: 'body', path: 'url', message: "the URL's host must resolve to public addresses" }],
        },
      }),
    ]);
    expect(await endpointsOf(partner)).toEqual(['http://127.0.0.1:4000/hook']);
  });

  test('the refusal does not say what a name resolves to', async () => {
    const partner = await createActor(api.baseUrl, 'partner');
    const res = await register(partner, 'http://localhost:6379/');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toMatch(/127\.0\.0\.1|::1/);
  });

  test.each([
    ['an allow-listed host:port', 'http://127.0.0.1:4000/hook', 'http://127.0.0.1:4000/hook'],
    ['the same, spelt in hexadecimal', 'http://0x7f.1:4000/hook', 'http://127.0.0.1:4000/hook'],
    ['an allow-listed IPv6 host:port', 'http://[0::1]:4001/hook', 'http://[::1]:4001/hook'],
    ['an allow-listed name:port', 'http://LocalHost:4002/hook', 'http://localhost:4002/hook'],
    ['a public IPv4 address', 'https://8.8.8.8/hook', 'https://8.8.8.8/hook'],
    ['a public IPv6 address', 'https://[2606:4700:4700::1111]/hook', 'https://[2606:4700:4700::1111]/hook'],
  ])('accepts %s, stored normalised', async (_, url, stored) => {
    const partner = await createActor(api.baseUrl, 'partner');
    const res = await register(partner, url);
    expect(res.status).toBe(201);
    expect(res.body.url).toBe(stored);
    expect(await endpointsOf(partner)).toEqual([stored]);
    expect(
      (await request(api.baseUrl).delete(`/webhook-endpoints/${res.body.id}`).set(partner.auth)).status,
    ).toBe(204);
  });

  test('PATCH to a refused URL is 400 and leaves the URL as it was', async () => {
    const partner = await createActor(api.baseUrl, 'partner');
    const created = await register(partner, 'http://127.0.0.1:4000/hook');
    expect(created.status).toBe(201);
    for (const url of [
      'http://127.0.0.1:4001/hook',
      'http://[::ffff:0:7f00:1]:4000/',
      'http://2130706433:6379/',
    ]) {
      const res = await request(api.baseUrl)
        .patch(`/webhook-endpoints/${created.body.id}`)
        .set(partner.auth)
        .send({ url });
      expect(res.status).toBe(400);
    }
    expect(await endpointsOf(partner)).toEqual(['http://127.0.0.1:4000/hook']);
    await request(api.baseUrl).delete(`/webhook-endpoints/${created.body.id}`).set(partner.auth);
  });
});

describe('at dial time', () => {
  /** A private service on loopback: counts every TCP connection made to it. */
  let connections = 0;
  const service = http.createServer((req, res) => {
    if (req.url === '/slow') return; // never answers: the sender's timeout
    res.writeHead(204).end();
  });
  service.on('connection', () => {
    connections++;
  });
  let port = 0;
  let closedPort = 0;
  const message = { messageId: 'msg_ssrf_test', body: '{"type":"test"}' };
  const secrets = [generateSecret()];
  // A fresh name per request: the global agent keeps connections alive per host:port, and a
  // reused socket would skip the lookup this file is testing.
  let names = 0;
  const name = () => `hooks-${++names}.partner.test`;
  // Generous, so that a loaded machine cannot turn a delivery into a timeout; only the /slow case
  // (its server never answers) is about the timeout, and it sets a short one.
  const send = (url: string, allow: string[], resolve?: Resolver, timeoutMs = 15000) =>
    sendWebhook(url, secrets, message, { timeoutMs, allowPrivateDestinations: allow }, resolve);
  const refused = {
    kind: 'failed',
    status: null,
    error: 'destination not allowed',
    retryAfterMs: null,
    detail: expect.any(String),
  };

  beforeAll(async () => {
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    port = (service.address() as AddressInfo).port;
    // A port nothing listens on: bound once, then closed.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
  });

  beforeEach(() => {
    connections = 0;
  });

  afterAll(async () => {
    service.closeAllConnections();
    await new Promise((resolve) => service.close(resolve));
  });

  test.each(['127.0.0.1', '::ffff:127.0.0.1'])(
    'control: allow-listed, a name resolving to %s reaches the service',
    async (address) => {
      const host = name();
      const result = await send(`http://${host}:${port}/x`, [`${host}:${port}`], resolvingTo(address));
      expect(result).toEqual({ kind: 'delivered', status: 204 });
      expect(connections).toBe(1);
    },
  );

  test.each([
    ['IPv4-mapped', '::ffff:127.0.0.1'],
    ['IPv4-compatible', '::7f00:1'],
    ['SIIT', '::ffff:0:7f00:1'],
    ['NAT64', '64:ff9b::7f00:1'],
    ['6to4', '2002:7f00:1::1'],
    ['IPv4 loopback', '127.0.0.1'],
    ['IPv6 loopback', '::1'],
    ['metadata', '169.254.169.254'],
    ['link-local with a zone id', 'fe80::1%lo'],
  ])('a name resolving to an %s address (%s) is refused before connecting', async (_, address) => {
    const result = await send(`http://${name()}:${port}/x`, [], resolvingTo(address));
    expect(result).toEqual(refused);
    expect(connections).toBe(0);
  });

  test('a name resolving to a public and a private address is refused', async () => {
    expect(await send(`http://${name()}:${port}/x`, [], resolvingTo('8.8.8.8', '127.0.0.1'))).toEqual(
      refused,
    );
    expect(connections).toBe(0);
  });

  test('an allow-listed name is allowed on its port only', async () => {
    const host = name();
    const allow = [`${host}:${closedPort}`];
    expect(await send(`http://${host}:${port}/x`, allow, resolvingTo('127.0.0.1'))).toEqual(refused);
    expect(connections).toBe(0);
  });

  test('a private IP literal reads the same whether its port is open or closed, and is never dialled', async () => {
    const open = await send(`http://127.0.0.1:${port}/x`, [], undefined);
    const closed = await send(`http://127.0.0.1:${closedPort}/x`, [], undefined);
    const mapped = await send(`http://[::ffff:127.0.0.1]:${port}/x`, [], undefined);
    expect(open).toEqual(refused);
    expect(closed).toEqual(open);
    expect(mapped).toEqual(open);
    expect(connections).toBe(0);
  });

  test('allow-listed host:port is dialled; the same host on another port is not', async () => {
    const allow = [`127.0.0.1:${port}`];
    expect(await send(`http://127.0.0.1:${port}/x`, allow)).toEqual({ kind: 'delivered', status: 204 });
    expect(connections).toBe(1);
    expect(await send(`http://127.0.0.1:${closedPort}/x`, allow)).toEqual(refused);
    expect(connections).toBe(1);
  });

  test('connection failures are recorded as a coarse category, without addresses or system errors', async () => {
    const closed = await send(`http://127.0.0.1:${closedPort}/x`, [`127.0.0.1:${closedPort}`]);
    expect(closed).toMatchObject({ kind: 'failed', status: null, error: 'connection failed' });
    const slow = await send(`http://127.0.0.1:${port}/slow`, [`127.0.0.1:${port}`], undefined, 1000);
    expect(slow).toMatchObject({ kind: 'failed', status: null, error: 'timeout' });
    const unknown = await send('http://hooks.partner.test/x', [], async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND hooks.partner.test'), { code: 'ENOTFOUND' });
    });
    expect(unknown).toMatchObject({ kind: 'failed', status: null, error: 'destination not allowed' });
    for (const result of [closed, slow, unknown]) {
      if (result.kind !== 'failed') throw new Error('expected a failure');
      expect(result.error).not.toMatch(/127\.0\.0\.1|\d{4,5}|E[A-Z]{4,}|connect /);
    }
  });
});
