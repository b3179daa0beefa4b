import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * `npm run bench -- --tracing`: a local OTLP/HTTP receiver standing in for a collector (Jaeger,
 * Tempo, the OpenTelemetry Collector), so a run measures what tracing costs the service: its
 * processes make, batch, serialise and send every span. It answers each export at once and
 * counts the spans, by name.
 */
export class OtlpSink {
  readonly spans = new Map<string, number>();
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const resource of body.resourceSpans ?? [])
          for (const scope of resource.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              this.spans.set(span.name, (this.spans.get(span.name) ?? 0) + 1);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  private url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The service's environment: tracing on, exported here. */
  env(): Record<string, string> {
    return { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: this.url };
  }

  /** Spans received so far, in all and of the booking path's kinds. */
  figures() {
    const of = (name: string) => this.spans.get(name) ?? 0;
    return {
      spansExported: [...this.spans.values()].reduce((a, b) => a + b, 0),
      intakeSpans: of('intake.submit'),
      decisionSpans: of('allocation.decide'),
    };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
