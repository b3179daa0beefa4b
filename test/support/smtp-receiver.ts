import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/**
 * The settings that make a test's service send its emails to `receiver`, retrying 100 ms apart
 * (so "a few retries" is a fraction of a second). Notifications are made by the outbox relay, so
 * a file that uses them relays the outbox, and takes its turn to (`useTestApi`, test/support/outbox-turn.ts).
 */
export function emailTestEnv(receiver: SmtpReceiver): Record<string, string> {
  return {
    WEBHOOKS_ENABLED: 'true',
    WEBHOOK_RELAY_INTERVAL_MS: '50',
    SMTP_URL: receiver.url,
    MAIL_FROM: 'Evently <tickets@evently.test>',
    MAIL_RETRY_SCHEDULE: Array(40).fill('0.1').join(','),
    MAIL_SWEEP_INTERVAL_MS: '100',
    MAIL_TIMEOUT_MS: '10000',
  };
}

/** An email the receiver accepted (answered 250 to its DATA), decoded enough for assertions. */
export interface ReceivedEmail {
  messageId: string;
  to: string[];
  subject: string;
  headers: Map<string, string>;
  text: string;
  html: string;
  raw: string;
}

/** How the receiver answers one message: 250, an SMTP error, or not yet (`hold`). */
export type Verdict = 'accept' | 'hold' | { code: number; message: string };

interface Held {
  email: ReceivedEmail;
  sessionId: string;
  answer: (err?: Error | null) => void;
}

/**
 * A real SMTP server on loopback (the `smtp-server` package), as a mail provider would run it. A
 * message counts as received only once it is answered 250: one whose sender hangs up while the
 * answer is held is dropped, as a server drops a transaction that never completed. `answer`
 * decides per message (`nth` counts arrivals of the same Message-ID); `hold` keeps the answer
 * back until `release`, so a test can act while messages are provably in flight.
 */
export class SmtpReceiver {
  readonly accepted: ReceivedEmail[] = [];
  /** Every DATA that arrived, whatever it was answered. */
  readonly arrived: ReceivedEmail[] = [];
  private held: Held[] = [];
  private closedSessions = new Set<string>();
  private decide: (email: ReceivedEmail, nth: number) => Verdict = () => 'accept';
  private server: SMTPServer | undefined;
  port = 0;

  /** Listens on `port` (0: any free one; the same port again after `stop`, to come back). */
  async start(port = this.port): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      closeTimeout: 50,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => this.receive(Buffer.concat(chunks).toString('utf8'), session, callback));
      },
      onClose: (session) => {
        this.closedSessions.add(session.id);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    server.on('error', () => {});
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening and drops every connection: from now on connections are refused. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  answer(decide: (email: ReceivedEmail, nth: number) => Verdict): void {
    this.decide = decide;
  }

  /** Messages whose answer is held and whose sender is still connected. */
  inFlight(): ReceivedEmail[] {
    return this.held.filter((h) => !this.closedSessions.has(h.sessionId)).map((h) => h.email);
  }

  /** Answers the held messages (the first `count`, or all) with `verdict`. */
  release(verdict: Exclude<Verdict, 'hold'> = 'accept', count = this.held.length): ReceivedEmail[] {
    const released = this.held.splice(0, count);
    for (const h of released) this.reply(h, verdict);
    return released.map((h) => h.email);
  }

  /** Accepted emails to `address`. */
  to(address: string): ReceivedEmail[] {
    return this.accepted.filter((e) => e.to.includes(address.toLowerCase()));
  }

  private receive(raw: string, session: SMTPServerSession, answer: (err?: Error | null) => void): void {
    const email = parseEmail(raw, session);
    this.arrived.push(email);
    const nth = this.arrived.filter((e) => e.messageId === email.messageId).length;
    const verdict = this.decide(email, nth);
    const held = { email, sessionId: session.id, answer };
    if (verdict === 'hold') this.held.push(held);
    else this.reply(held, verdict);
  }

  private reply(held: Held, verdict: Exclude<Verdict, 'hold'>): void {
    if (verdict === 'accept') {
      // The sender hung up before the answer: the transaction never completed, nothing is kept.
      if (this.closedSessions.has(held.sessionId)) return;
      this.accepted.push(held.email);
      held.answer();
      return;
    }
    const err = Object.assign(new Error(verdict.message), { responseCode: verdict.code });
    held.answer(err);
  }
}

/**
 * Just enough MIME for the tests: unfolded headers, encoded words in the subject, and the
 * text/plain and text/html parts of a multipart/alternative body (quoted-printable or base64).
 */
export function parseEmail(raw: string, session?: SMTPServerSession): ReceivedEmail {
  const { headers, body } = splitHeaders(raw);
  const parts = new Map<string, string>();
  const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
  const sections = boundary ? body.split(`--${boundary}`).slice(1, -1) : [raw];
  for (const section of sections) {
    const part = splitHeaders(section.replace(/^\r?\n/, ''));
    const type = (part.headers.get('content-type') ?? 'text/plain').split(';')[0]!.trim();
    parts.set(type, decodeBody(part.body, part.headers.get('content-transfer-encoding')));
  }
  const recipients = session?.envelope.rcptTo.map((r) => r.address.toLowerCase()) ?? [];
  return {
    messageId: headers.get('message-id') ?? '',
    to: recipients,
    subject: decodeWords(headers.get('subject') ?? ''),
    headers,
    text: parts.get('text/plain') ?? '',
    html: parts.get('text/html') ?? '',
    raw,
  };
}

function splitHeaders(raw: string): { headers: Map<string, string>; body: string } {
  const end = raw.search(/\r?\n\r?\n/);
  const head = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? '' : raw.slice(end).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(body: string, encoding = '7bit'): string {
  const e = encoding.toLowerCase();
  if (e === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (e === 'quoted-printable') return quotedPrintable(body.replace(/=\r?\n/g, ''));
  return body.replace(/\r?\n$/, '');
}

function quotedPrintable(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n').replace(/\n$/, '');
}

function decodeWords(value: string): string {
  return value.replace(/=\?utf-8\?([QB])\?([^?]*)\?=\s*/gi, (_m, kind: string, text: string) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : quotedPrintable(text.replace(/_/g, ' ')),
  );
}
