import { createHmac, randomBytes } from 'node:crypto';
import type { StoredSecret } from './types.js';

/** `whsec_` + base64 of 32 random bytes, as Standard Webhooks prescribes (>= 24 bytes). */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The secrets that still sign at `now`: the current one, and a rotated-out one until it expires. */
export function activeSecrets(secrets: readonly StoredSecret[], now: Date): string[] {
  return secrets.filter((s) => s.expiresAt === null || new Date(s.expiresAt) > now).map((s) => s.secret);
}

/**
 * The `webhook-signature` header of Standard Webhooks v1: for each secret,
 * `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, space-separated.
 */
export function signatureHeader(
  secrets: readonly string[],
  messageId: string,
  timestamp: number,
  body: string,
): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      const mac = createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64');
      return `v1,${mac}`;
    })
    .join(' ');
}
