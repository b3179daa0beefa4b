import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { expectApiError } from './support/http.js';

/**
 * An event that was never published is invisible to everyone but admins, whatever becomes of it
 * (edited, given seats, cancelled): in the API, in error messages and in webhook messages.
 */
describe('drafts stay with admins', () => {
  const api = useTestApi();
  let admin: Actor;
  let partner: Actor;
  let user: Actor;

  beforeAll(async () => {
    [admin, partner] = await Promise.all([
      createActor(api.baseUrl, 'admin'),
      createActor(api.baseUrl, 'partner'),
    ]);
    user = await registerUser(api.baseUrl);
  });

  const http = () => request(api.baseUrl);
  const audiences = async (eventId: string) =>
    (
      await api.deps.sequelize.query<{ type: string; audience: string }>(
        'SELECT type, audience FROM webhook_outbox WHERE event_id = $eventId AND user_id IS NULL ORDER BY id',
        { bind: { eventId }, type: QueryTypes.SELECT },
      )
    ).map((r) => `${r.type}:${r.audience}`);

  /** What each kind of caller learns about the event: the status of every read. */
  const seenBy = async (eventId: string, name: string) => {
    const view = async (caller?: Actor) => {
      const auth = caller ? caller.auth : {};
      const one = await http().get(`/events/${eventId}`).set(auth);
      const lists = await Promise.all(
        ['on_sale', 'cancelled', 'completed'].map((status) =>
          http().get('/events').query({ q: name, status }).set(auth),
        ),
      );
      const listed = lists.some((l) => l.body.data.some((e: { id: string }) => e.id === eventId));
      const seats = await http().get(`/events/${eventId}/seats`).set(auth);
      return { one: one.status, listed, seats: seats.status };
    };
    return {
      anonymous: await view(),
      user: await view(user),
      partner: await view(partner),
      admin: await view(admin),
    };
  };
  const hidden = { one: 404, listed: false, seats: 404 };

  test('a draft edited, given seats and cancelled is never seen and never announced to anyone but admins', async () => {
    const name = `Secret ${Date.now()}`;
    const created = await http()
      .post('/events')
      .set(admin.auth)
      .send({
        name,
        venue: 'Hidden Hall',
        startsAt: new Date(Date.now() + 86400_000).toISOString(),
        status: 'draft',
        seatMap: { blocks: [{ section: 'A', rows: { from: 1, to: 2 }, seats: { from: 1, to: 5 } }] },
      });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const edited = await http()
      .patch(`/events/${id}`)
      .set(admin.auth)
      .send({ version: 1, description: 'tbc' });
    expect(edited.status).toBe(200);
    const added = await http()
      .post(`/events/${id}/seats`)
      .set(admin.auth)
      .send({ blocks: [{ section: 'B', rows: { from: 1, to: 1 }, seats: { from: 1, to: 5 } }] });
    expect(added.status).toBe(201);
    expect((await http().post(`/events/${id}/cancel`).set(admin.auth)).status).toBe(200);

    const seen = await seenBy(id, name);
    expect(seen.anonymous).toEqual(hidden);
    expect(seen.user).toEqual(hidden);
    expect(seen.partner).toEqual(hidden);
    expect(seen.admin).toEqual({ one: 200, listed: true, seats: 200 });

    // Booking it tells a non-admin nothing more than "not found" (not "cancelled").
    const booking = await http().post(`/events/${id}/bookings`).set(user.auth).send({ quantity: 1 });
    expectApiError(booking, 404, 'not_found');
    expect(JSON.stringify(booking.body)).not.toContain(name);

    expect(await audiences(id)).toEqual([
      'event.updated:admins',
      'event.updated:admins',
      'event.cancelled:admins',
    ]);
  });

  test('a bad token reads a hidden event as "not found", like a missing one, never as 401', async () => {
    const draft = await createEvent(api.baseUrl, admin, { status: 'draft' });
    const published = await createEvent(api.baseUrl, admin);
    const bad = { Authorization: 'Bearer x' };
    const revoked = await registerUser(api.baseUrl);
    await http().post('/auth/logout').set(revoked.auth).send({});
    for (const auth of [bad, revoked.auth, partner.auth]) {
      for (const suffix of ['', '/seats', '/sections']) {
        expect((await http().get(`/events/${draft.id}${suffix}`).set(auth)).status).toBe(404);
      }
    }
    expect((await http().get(`/events/${published.id}`).set(bad)).status).toBe(200);
  });

  test('what changed while an event was a draft again stays with admins, also when it is then cancelled', async () => {
    const name = `Redraft ${Date.now()}`;
    const event = await createEvent(api.baseUrl, admin, { name });
    const edit = (body: object) => http().patch(`/events/${event.id}`).set(admin.auth).send(body);
    expect((await edit({ version: 1, status: 'draft' })).status).toBe(200);
    expect((await edit({ version: 2, name: `${name} secret line-up` })).status).toBe(200);
    expect((await http().post(`/events/${event.id}/cancel`).set(admin.auth)).status).toBe(200);
    expect((await seenBy(event.id, name)).partner).toEqual(hidden);
    expect(await audiences(event.id)).toEqual([
      'event.updated:admins',
      'event.updated:admins',
      'event.cancelled:admins',
    ]);
  });

  test('once published, the event and its news are public, also after it is cancelled', async () => {
    const name = `Public ${Date.now()}`;
    const event = await createEvent(api.baseUrl, admin, { name, status: 'draft' });
    expect((await seenBy(event.id, name)).user).toEqual(hidden);
    const published = await http()
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: 1, status: 'on_sale' });
    expect(published.status).toBe(200);
    expect((await http().get(`/events/${event.id}`).set(user.auth)).body.status).toBe('on_sale');
    // Back to draft: hidden again, and its edits are not announced.
    await http().patch(`/events/${event.id}`).set(admin.auth).send({ version: 2, status: 'draft' });
    expect((await http().get(`/events/${event.id}`).set(user.auth)).status).toBe(404);
    await http().patch(`/events/${event.id}`).set(admin.auth).send({ version: 3, status: 'on_sale' });
    expect((await http().post(`/events/${event.id}/cancel`).set(admin.auth)).status).toBe(200);
    const seen = await seenBy(event.id, name);
    expect(seen.user.one).toBe(200);
    expect(seen.partner.listed).toBe(true);
    expect(await audiences(event.id)).toEqual([
      'event.updated:public',
      'event.updated:admins',
      'event.updated:public',
      'event.cancelled:public',
    ]);
  });
});
