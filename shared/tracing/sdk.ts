import { context, DiagLogLevel, diag, propagation, trace } from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { Logger } from '../logger.js';
import type { TraceExporterName, TracingConfig } from './settings.js';

/** The SDK as one process started it; `shutdown()` exports what is left and turns tracing off. */
export interface Tracing {
  readonly enabled: boolean;
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, shutdown: async () => {} };

const EXPORTERS: Record<TraceExporterName, () => Promise<SpanExporter>> = {
  // Endpoint, headers, timeout and compression from OTEL_EXPORTER_OTLP_(TRACES_)*, read by the exporter.
  otlp: async () => new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(),
  console: async () => new (await import('@opentelemetry/sdk-trace-node')).ConsoleSpanExporter(),
};

/**
 * Starts the OpenTelemetry SDK in this process when `config` asks for an exporter (or a test
 * brings `processors` of its own, an in-memory exporter): a tracer provider with a batch
 * processor per exporter (OTEL_BSP_*), the sampler of OTEL_TRACES_SAMPLER (parent-based, always
 * on, by default), the resource `service.name` = `serviceName` unless OTEL_SERVICE_NAME or
 * OTEL_RESOURCE_ATTRIBUTES say otherwise, W3C trace context as the propagator and
 * AsyncLocalStorage as the context manager. Otherwise nothing is registered: the API stays its
 * no-op self, every span is a non-recording one and no trace context is injected anywhere.
 * The SDK's own complaints (an export that failed) go to `logger` as warnings. The SDK's modules
 * are loaded only then: off, tracing costs a process nothing but the API's no-op calls.
 */
export async function startTracing(
  config: TracingConfig,
  serviceName: string,
  logger: Logger,
  processors: SpanProcessor[] = [],
): Promise<Tracing> {
  if (config.exporters.length === 0 && processors.length === 0) return OFF;
  const [{ W3CTraceContextPropagator }, resources, { BatchSpanProcessor, NodeTracerProvider }, semconv] =
    await Promise.all([
      import('@opentelemetry/core'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/semantic-conventions'),
    ]);
  const spanProcessors = [
    ...(await Promise.all(
      config.exporters.map(async (name) => new BatchSpanProcessor(await EXPORTERS[name]())),
    )),
    ...processors,
  ];
  diag.setLogger(
    {
      error: (message, ...args) => logger.warn({ args }, `opentelemetry: ${message}`),
      warn: (message, ...args) => logger.warn({ args }, `opentelemetry: ${message}`),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN,
  );
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ [semconv.ATTR_SERVICE_NAME]: serviceName }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  logger.info(
    { exporters: config.exporters, serviceName: resource.attributes[semconv.ATTR_SERVICE_NAME] },
    'tracing on',
  );
  return {
    enabled: true,
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        // Unregistered, so this process (a test) can start it again, and spans made from now on
        // are the no-op API's.
        trace.disable();
        propagation.disable();
        context.disable();
        diag.disable();
      }
    },
  };
}
