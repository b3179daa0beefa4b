import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths, webhooks } from './schema.js';

/**
 * The typed Evently client: openapi-fetch over the types generated from the OpenAPI document
 * (schema.d.ts, by `npm run client`). Paths, parameters, bodies and answers are checked by the
 * TypeScript compiler, so a change of the API's contract breaks the code that relies on it.
 */
export type { components, paths, webhooks };
export type Schemas = components['schemas'];

/** The payload of webhook type `T` (its `{type, timestamp, data}` envelope). */
export type WebhookPayload<T extends keyof webhooks> = NonNullable<
  webhooks[T]['post']['requestBody']
>['content']['application/json'];
/** Any webhook payload; `switch (message.type)` narrows it to one type's. */
export type WebhookMessage = { [T in keyof webhooks]: WebhookPayload<T> }[keyof webhooks];

export interface EventlyClientOptions extends ClientOptions {
  baseUrl: string;
  /** An access token (`/auth/login`), or a function giving the current one; sent as a Bearer token. */
  token?: string | (() => string | undefined);
}

export type EventlyClient = Client<paths>;

export function createEventlyClient({ token, ...options }: EventlyClientOptions): EventlyClient {
  const client = createClient<paths>(options);
  if (token !== undefined) {
    client.use({
      onRequest({ request }) {
        const current = typeof token === 'function' ? token() : token;
        if (current) request.headers.set('Authorization', `Bearer ${current}`);
        return request;
      },
    });
  }
  return client;
}
