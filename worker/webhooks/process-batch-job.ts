import { countWebhookDelivery } from '../../shared/metrics.js';
import { enqueueFollowUps, type FollowUp } from '../../shared/webhooks/queue.js';
import { type AttemptContext, loadAttempts } from './delivery-store.js';
import type { Delivering } from './process-delivery-job.js';

/**
 * A relay batch: the first attempts of new deliveries to one endpoint, loaded in one query, sent
 * concurrently (in the process's send slots) except that deliveries about the same subject
 * (ordering key) go one after another, each only once the one before it is delivered and
 * recorded. Successes are recorded with group commit. This is the fast path only: a delivery
 * that needs anything else (its owner no longer entitled, the endpoint disabled, the circuit not
 * closed, an earlier message about its subject still pending outside the batch, an attempt
 * already made, or the endpoint failing earlier in this batch) continues in a job of its own,
 * where every rule applies in full, as do retries; nothing is decided here that the single path
 * would decide differently.
 */
export async function processBatch(delivering: Delivering, deliveryIds: readonly string[]): Promise<string> {
  const { sequelize, queue, config, logger } = delivering.deps;
  const chains = new Map<string, AttemptContext[]>();
  for (const attempt of await loadAttempts(sequelize, deliveryIds)) {
    // Done already (a batch re-run after a crash, or a manual action meanwhile).
    if (attempt.status !== 'pending') {
      countWebhookDelivery('skipped');
      continue;
    }
    const chain = chains.get(attempt.orderingKey);
    if (chain) chain.push(attempt);
    else chains.set(attempt.orderingKey, [attempt]);
  }

  const followUps: FollowUp[] = [];
  // After the endpoint's first failure in this batch, the rest go through the circuit breaker.
  let endpointFailed = false;
  const handOn = (rest: AttemptContext[]) => {
    for (const attempt of rest) {
      followUps.push({ deliveryId: attempt.deliveryId });
      countWebhookDelivery('postponed');
    }
  };
  const runChain = async (chain: AttemptContext[]) => {
    for (const [i, attempt] of chain.entries()) {
      const fastPath =
        !endpointFailed &&
        attempt.attempts === 0 &&
        attempt.entitled &&
        attempt.endpointUsable &&
        attempt.circuitOpenUntil === null &&
        !attempt.earlierPending;
      if (!fastPath) return handOn(chain.slice(i));
      const settled = await delivering.settle(attempt, await delivering.send(attempt, 1), 1);
      if (settled.kind === 'delivered') {
        countWebhookDelivery('delivered');
        continue;
      }
      endpointFailed = true;
      if (settled.kind === 'retry') {
        followUps.push({
          deliveryId: attempt.deliveryId,
          attemptsBefore: 1,
          at: Date.now() + settled.delayMs,
        });
        countWebhookDelivery('retrying');
      } else {
        countWebhookDelivery('failed');
      }
      return handOn(chain.slice(i + 1));
    }
  };

  const ran = await Promise.allSettled([...chains.values()].map(runChain));
  // Handed on even if a chain failed: what it left pending the stranded sweep finds.
  await enqueueFollowUps(queue, config, followUps);
  const failure = ran.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    logger.error({ err: failure.reason, deliveries: deliveryIds.length }, 'webhook batch failed');
    throw failure.reason;
  }
  return 'batch';
}
