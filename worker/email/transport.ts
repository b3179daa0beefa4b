import nodemailer from 'nodemailer';
import type { EmailConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';

/** One email, ready to go. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The full `Message-ID` header value, `<local@domain>`: the same on every attempt. */
  messageId: string;
  headers: Record<string, string>;
}

/** Where emails go: an SMTP server through a connection pool, or (development) the log. */
export interface Mailer {
  /** Resolves once the server accepted the message (250 after DATA); rejects otherwise. */
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

/**
 * SMTP through nodemailer's pool: `concurrency` connections kept open and reused, so a burst
 * of emails costs no handshake (and no TLS or AUTH) per message. The pool's own re-queueing of a
 * message whose connection dropped is off (`maxRequeues: 0`): retries are the notification's
 * job, counted and delayed in one place. File and URL access are off: nothing in a message is a
 * path or link to fetch.
 */
export function createMailer(config: EmailConfig, logger: Logger): Mailer {
  if (config.transport === 'log') {
    return {
      async send(email) {
        logger.info(
          { to: email.to, subject: email.subject, messageId: email.messageId, text: email.text },
          'email logged, not sent (MAIL_TRANSPORT=log)',
        );
      },
      close() {},
    };
  }
  const transporter = nodemailer.createTransport(
    {
      url: config.smtpUrl!,
      pool: true,
      maxConnections: config.concurrency,
      maxMessages: Number.POSITIVE_INFINITY,
      maxRequeues: 0,
      connectionTimeout: config.timeoutMs,
      greetingTimeout: config.timeoutMs,
      socketTimeout: config.timeoutMs,
      disableFileAccess: true,
      disableUrlAccess: true,
    },
    { from: config.from },
  );
  return {
    async send(email) {
      await transporter.sendMail(email);
    },
    close() {
      transporter.close();
    },
  };
}

/** How an attempt failed: `permanent` is failed for good, otherwise it is retried. */
export interface SendFailure {
  permanent: boolean;
  /** For the row's `last_error` and the log: the SMTP reply, or what the connection did. */
  error: string;
}

/**
 * RFC 5321's reply classes, as nodemailer reads them (`permanent`: 5xx except 503): a 5xx
 * rejects this message for good, a 4xx asks to try later, and an error without a reply (refused
 * connection, timeout, TLS) is temporary. A 5xx to AUTH (bad credentials) is the server's
 * configuration, not the message's fault: retried, so fixing SMTP_URL loses nothing.
 */
export function classifySendError(err: unknown): SendFailure {
  const e = err as {
    code?: string;
    responseCode?: number;
    response?: string;
    permanent?: boolean;
    message?: string;
  };
  const reply = e.response ? e.response.split(/\r?\n/)[0]!.slice(0, 200) : null;
  if (typeof e.responseCode === 'number') {
    return {
      permanent: e.permanent === true && e.code !== 'EAUTH',
      error: reply ?? `SMTP ${e.responseCode}`,
    };
  }
  // Refused before anything was sent: an address or message nodemailer cannot send at all.
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return { permanent: true, error: e.message ?? e.code };
  return { permanent: false, error: `${e.code ?? 'error'}: ${(e.message ?? String(err)).slice(0, 200)}` };
}
