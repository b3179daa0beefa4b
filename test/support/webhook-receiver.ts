import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface MessageData {
  eventId?: string;
  bookingRequest?: { id: string; status: string; reason?: string };
  booking?: { id: string; status: string; quantity: number } | null;
  event?: { id: string; status: string };
}

export interface Arrival {
  path: string;
  webhookId: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The W3C `traceparent` header, sent when the service traces (test/tracing.test.ts). */
  traceparent: string | undefined;
  payload: { type: string; timestamp: string; data: MessageData };
  receivedAt: number;
  /** The status this receiver answered with. */
  answered?: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Hold the response this long (to provoke the sender's timeout). */
  delayMs?: number;
}

/**
 * A partner's webhook receiver on loopback: records every arrival and verifies its signature
 * with the `standardwebhooks` package, exactly as a partner would.
 */
export class WebhookReceiver {
  readonly arrivals: Arrival[] = [];
  /** Arrivals so far per path and webhook-id (a bench receives tens of thousands). */
  private seen = new Map<string, number>();
  private replies = new Map<string, (arrival: Arrival, nth: number) => Reply>();
  private server = http
    .createServer((req, res) => this.handle(req, res))
    .on('connection', () => {
      this.connections += 1;
    });
  baseUrl = '';
  /** TCP connections accepted so far: how well the sender reuses them. */
  connections = 0;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** How `path` answers; `nth` counts arrivals of the same webhook-id (1 = first). */
  on(path: string, reply: (arrival: Arrival, nth: number) => Reply): void {
    this.replies.set(path, reply);
  }

  at(path: string): Arrival[] {
    return this.arrivals.filter((a) => a.path === path);
  }

  /** Verifies an arrival with a secret, as a partner's code would; returns the payload or throws. */
  static verify(arrival: Arrival, secret: string) {
    return new Webhook(secret).verify(arrival.body, {
      'webhook-id': arrival.webhookId,
      'webhook-timestamp': arrival.timestamp,
      'webhook-signature': arrival.signature,
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const arrival: Arrival = {
        path: req.url ?? '/',
        webhookId: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        body,
        traceparent: req.headers.traceparent as string | undefined,
        payload: JSON.parse(body),
        receivedAt: Date.now(),
      };
      this.arrivals.push(arrival);
      const key = `${arrival.path} ${arrival.webhookId}`;
      const nth = (this.seen.get(key) ?? 0) + 1;
      this.seen.set(key, nth);
      const reply = this.replies.get(arrival.path)?.(arrival, nth) ?? { status: 204 };
      arrival.answered = reply.status;
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(reply.status, reply.headers);
        res.end();
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  }
}
