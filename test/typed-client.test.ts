import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generateClientSchema, SCHEMA_FILE } from '../client/generate.js';
import { createEventlyClient, type Schemas } from '../client/index.js';
import { useTestApi } from './support/environment.js';
import { createActor, uniqueEmail } from './support/factory.js';
import { repoRoot, waitFor } from './support/harness.js';

/**
 * The typed client (client/) is generated from the OpenAPI document and used here through the
 * real API: the test is compiled against the generated types (ts-jest and `npm run typecheck`),
 * so a contract change that breaks a client breaks CI, and a stale client/schema.d.ts too.
 */
describe('the typed client', () => {
  test('client/schema.d.ts is what `npm run client` generates from the OpenAPI document now', async () => {
    const committed = readFileSync(path.join(repoRoot, SCHEMA_FILE), 'utf8');
    // A plain equality, not toEqual: a 10,000-line diff in the failure says nothing `npm run client` would not fix.
    const current = committed === (await generateClientSchema());
    if (!current) throw new Error(`${SCHEMA_FILE} is stale: run \`npm run client\` and commit it`);
  });

  describe('against the API', () => {
    const service = useTestApi({}, { workers: 'in-process' });

    test('a buyer signs up, an admin creates an event, the buyer books, long-polls the outcome and lists bookings', async () => {
      const anonymous = createEventlyClient({ baseUrl: service.baseUrl });
      const email = uniqueEmail('typed');
      const signedUp = await anonymous.POST('/auth/register', {
        body: { email, password: 'correct-horse-battery', name: 'Typed Buyer' },
      });
      expect(signedUp.response.status).toBe(201);
      const registration: Schemas['Registration'] = signedUp.data!;
      expect(registration.user).toMatchObject({ email, role: 'user' });

      const signedIn = await anonymous.POST('/auth/login', {
        body: { email, password: 'correct-horse-battery' },
      });
      expect(signedIn.response.status).toBe(200);
      const buyer = createEventlyClient({ baseUrl: service.baseUrl, token: signedIn.data!.accessToken });

      const adminActor = await createActor(service.baseUrl, 'admin');
      const admin = createEventlyClient({ baseUrl: service.baseUrl, token: adminActor.token });
      const created = await admin.POST('/events', {
        body: {
          name: 'Typed client night',
          venue: 'Hall 1',
          startsAt: new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString(),
          capacity: 5,
        },
      });
      expect(created.response.status).toBe(201);
      const event: Schemas['Event'] = created.data!;
      expect(event).toMatchObject({ capacity: 5, available: 5, status: 'on_sale' });

      const submitted = await buyer.POST('/events/{id}/bookings', {
        params: { path: { id: event.id } },
        body: { quantity: 2 },
      });
      expect(submitted.response.status).toBe(202);
      const requestId = submitted.data!.id;

      // Long-poll until decided; one long poll may end first under load.
      const decided = await waitFor(
        async () => {
          const polled = await buyer.GET('/booking-requests/{id}', {
            params: { path: { id: requestId }, header: { Prefer: 'wait=5' } },
          });
          if (polled.error) throw new Error(`poll failed: ${JSON.stringify(polled.error)}`);
          return polled.data.status !== 'queued' && polled.data;
        },
        undefined,
        `booking request ${requestId} to be decided`,
      );
      expect(decided.status).toBe('confirmed');
      const booking = decided.booking!;
      expect(booking).toMatchObject({ eventId: event.id, quantity: 2, status: 'confirmed', seats: null });

      const listed = await buyer.GET('/bookings', { params: { query: { limit: 10 } } });
      expect(listed.response.status).toBe(200);
      expect(listed.data!.data.map((b) => b.id)).toEqual([booking.id]);
      expect(listed.data!.next).toBeNull();

      // Errors are typed too: the one error envelope.
      const missing = await buyer.GET('/booking-requests/{id}', {
        params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
      });
      expect(missing.response.status).toBe(404);
      expect(missing.error?.error.code).toBe('not_found');
    });
  });
});
