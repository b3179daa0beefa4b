import { TEST_WEBHOOK_TYPE } from './types.js';

/**
 * The payload of a test message (`POST /webhook-endpoints/{id}/test`): the Standard Webhooks
 * envelope of every message, with the endpoint it was sent to.
 */
export function testMessage(endpointId: string, now = new Date()) {
  return {
    type: TEST_WEBHOOK_TYPE,
    timestamp: now.toISOString(),
    data: {
      endpointId,
      message: 'A test message from Evently: your endpoint received and verified it.',
    },
  };
}
