import Joi from 'joi';
import { PURCHASE_REFERENCE_LIMITS as LIMITS, type PurchaseReference } from '../../shared/domain.js';
import { singleLine } from '../schemas.js';

/**
 * A partner's reference on a booking or hold request: `externalReference` (its order id) and
 * `metadata` (string keys and values, Stripe's limits). Over a limit is a 400 naming the field
 * (`metadata`, `metadata.<key>`), checked before anything is recorded.
 */
export const referenceFields = {
  externalReference: singleLine(LIMITS.externalReferenceLength).description(
    `Your own reference for this purchase (an order id), at most ${LIMITS.externalReferenceLength} ` +
      'characters; echoed in the request, its booking, hold or waitlist entry and every webhook about the ' +
      'purchase; `GET /bookings?externalReference=` finds it. Not unique: the same reference may name several purchases',
  ),
  metadata: Joi.object()
    .pattern(
      Joi.string().min(1).max(LIMITS.metadataKeyLength),
      Joi.string().max(LIMITS.metadataValueLength).allow(''),
    )
    .max(LIMITS.metadataKeys)
    .messages({
      'object.unknown': `metadata keys must be 1 to ${LIMITS.metadataKeyLength} characters: {{#label}} is not one`,
    })
    .description(
      `Your own key-value data for this purchase, echoed wherever \`externalReference\` is: at most ` +
        `${LIMITS.metadataKeys} keys of 1 to ${LIMITS.metadataKeyLength} characters, string values of at most ` +
        `${LIMITS.metadataValueLength}`,
    ),
};

/** The reference of a validated body, and what it adds to the idempotency fingerprint. */
export function referenceOf(body: { externalReference?: string; metadata?: Record<string, string> }): {
  reference: PurchaseReference;
  fingerprint: string;
} {
  const reference = { externalReference: body.externalReference ?? null, metadata: body.metadata ?? {} };
  const given = reference.externalReference !== null || Object.keys(reference.metadata).length > 0;
  // Nothing given adds nothing, so keys stored before references existed still match; given, a
  // replay with another reference or other metadata is another body (422 idempotency_key_reused).
  // Metadata keys are sorted: the same map in another order is the same body.
  const sorted = Object.fromEntries(Object.entries(reference.metadata).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    reference,
    fingerprint: given ? `:ref:${JSON.stringify([reference.externalReference, sorted])}` : '',
  };
}
