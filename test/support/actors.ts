import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createUser } from '../../api/services/accounts.js';
import type { Role } from '../../shared/domain.js';

export interface Actor {
  id: string;
  email: string;
  token: string;
  refreshToken: string;
  auth: { Authorization: string };
}

export const uniqueEmail = (label = 'user') => `${label}-${randomUUID()}@example.test`;

/** Registers a user through the API, as a client would. */
export async function registerUser(baseUrl: string, label = 'user'): Promise<Actor> {
  const email = uniqueEmail(label);
  const res = await request(baseUrl)
    .post('/auth/register')
    .send({ email, password: 'correct-horse-battery', name: label });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return actor(res.body.user.id, email, res.body.accessToken, res.body.refreshToken);
}

/** Creates an account with a role self-registration cannot give (admin, partner), then logs in. */
export async function createActor(baseUrl: string, role: Role): Promise<Actor> {
  const email = uniqueEmail(role);
  const user = await createUser({ email, password: 'correct-horse-battery', name: role, role });
  const res = await request(baseUrl).post('/auth/login').send({ email, password: 'correct-horse-battery' });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return actor(user.id, email, res.body.accessToken, res.body.refreshToken);
}

function actor(id: string, email: string, token: string, refreshToken: string): Actor {
  return { id, email, token, refreshToken, auth: { Authorization: `Bearer ${token}` } };
}

/** An event a test owns, created through the admin API. */
export async function createEvent(
  baseUrl: string,
  admin: Actor,
  fields: Partial<{
    capacity: number;
    name: string;
    venue: string;
    startsAt: string;
    status: string;
    holdTtlSeconds: number;
    maxTicketsPerUser: number | null;
    limitPartners: boolean;
    waitlistPromotion: 'book' | 'hold';
  }> = {},
): Promise<{ id: string; version: number; capacity: number; maxTicketsPerUser: number | null }> {
  const res = await request(baseUrl)
    .post('/events')
    .set(admin.auth)
    .send({
      name: `Event ${randomUUID().slice(0, 8)}`,
      venue: 'Test Hall',
      startsAt: new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString(),
      capacity: 10,
      ...fields,
    });
  if (res.status !== 201) throw new Error(`create event failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
