import { type Span, SpanKind } from '@opentelemetry/api';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Sequelize } from 'sequelize';
import type { EmailConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { type EmailResult, recordEmailAttempt } from '../../shared/metrics.js';
import { ATTR, inSpan, storedContext } from '../../shared/tracing/index.js';
import { AttemptFailed, retryDelayMs } from '../scheduled-worker.js';
import {
  loadNotification,
  type NotificationToSend,
  recordFinal,
  recordRetry,
  recordSent,
} from './notification-store.js';
import type { EmailJobData } from './queue.js';
import { type EmailFacts, renderEmail } from './render.js';
import { classifySendError, type Mailer } from './transport.js';

/** Why a pending notification is not sent after all, read from the state now; null: send it. */
function reasonToSkip(n: NotificationToSend): string | null {
  if (!n.emailsOn) return 'emails off';
  if (n.disabled) return 'account disabled';
  // A reminder whose hold was confirmed, released or expired meanwhile has nothing to remind of.
  if (n.kind === 'offer_hold_expiring' && n.hold?.status !== 'active') return 'hold no longer active';
  return null;
}

/**
 * Sends one notification. At least once: the row is marked sent straight after the server's
 * 250, so a crash between the two (the only window) sends it again with the same Message-ID,
 * which the receiving side can recognise. Attempts are counted in the row (they survive a
 * re-queued job); a 5xx, or the last retry, fails it for good.
 */
export function createEmailProcessor(deps: {
  sequelize: Sequelize;
  config: EmailConfig;
  mailer: Mailer;
  logger: Logger;
}) {
  const { sequelize, config, mailer, logger } = deps;

  return async function processEmailJob(job: Job<EmailJobData>): Promise<EmailResult | 'done'> {
    const n = await loadNotification(sequelize, job.data.notificationId);
    // Sent, failed or skipped already: a job that ran again after a crash or a re-queue.
    if (n?.status !== 'pending') return 'done';
    // Each attempt is an `email.send` span parented to the outbox message's context (the decision
    // the email reports: the booking's trace); a reminder has none and starts a trace of its own.
    return inSpan(
      'email.send',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR.notificationId]: n.id,
          [ATTR.emailKind]: n.kind,
          [ATTR.messageId]: n.messageId,
          [ATTR.attempt]: n.attempts + 1,
        },
      },
      (span) => attempt(n, span),
      storedContext(n.traceContext),
    );
  };

  async function attempt(n: NotificationToSend, span: Span): Promise<EmailResult> {
    const log = { notificationId: n.id, kind: n.kind, messageId: n.messageId };
    const skip = reasonToSkip(n);
    if (skip) {
      await recordFinal(sequelize, n.id, 'skipped', n.attempts, skip);
      recordEmailAttempt(n.kind, 'skipped');
      span.setAttribute(ATTR.emailResult, 'skipped');
      return 'skipped';
    }
    const attempts = n.attempts + 1;
    const rendered = renderEmail(factsOf(n));
    try {
      await mailer.send({
        to: n.email,
        ...rendered,
        messageId: `<${n.messageId}@${config.messageIdDomain}>`,
        // RFC 3834: an automatic message, so auto-responders stay quiet.
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
    } catch (err) {
      const failure = classifySendError(err);
      const last = attempts >= config.retryScheduleMs.length + 1;
      if (failure.permanent || last) {
        await recordFinal(sequelize, n.id, 'failed', attempts, failure.error);
        recordEmailAttempt(n.kind, 'failed');
        span.setAttribute(ATTR.emailResult, 'failed');
        logger.warn(
          { ...log, attempts, error: failure.error, permanent: failure.permanent },
          'email failed for good',
        );
        throw new UnrecoverableError(failure.error);
      }
      const delayMs = retryDelayMs(config.retryScheduleMs, attempts, null);
      await recordRetry(sequelize, n.id, attempts, failure.error, new Date(Date.now() + delayMs));
      recordEmailAttempt(n.kind, 'retrying');
      span.setAttribute(ATTR.emailResult, 'retrying');
      logger.info({ ...log, attempts, error: failure.error, delayMs }, 'email attempt failed; retrying');
      throw new AttemptFailed(failure.error, delayMs);
    }
    await recordSent(sequelize, n.id, attempts);
    recordEmailAttempt(n.kind, 'sent');
    span.setAttribute(ATTR.emailResult, 'sent');
    return 'sent';
  }
}

function factsOf(n: NotificationToSend): EmailFacts {
  // A reminder is about the hold as it is now; any other email about the message's own data.
  const data = (n.hold ? { hold: n.hold } : (n.data ?? {})) as EmailFacts['data'];
  return {
    kind: n.kind,
    recipientName: n.name,
    event: n.event,
    data,
    waitlistPosition: n.waitlistPosition,
  };
}
