import Joi from 'joi';

/** Where spans go: OTLP over HTTP (a collector, Jaeger, Tempo...) or the process's stdout. */
export type TraceExporterName = 'otlp' | 'console';

/** Tracing as the standard OTEL_* variables ask for it (docs/architecture.md, Tracing). */
export interface TracingConfig {
  /** Empty: tracing is off (the OpenTelemetry API's no-op tracer; nothing is stored or sent). */
  exporters: TraceExporterName[];
}

const EXPORTERS = ['otlp', 'console', 'none'];

/**
 * The variables this service reads itself, validated with the rest of the configuration
 * (shared/config.ts). The others are read by the OpenTelemetry SDK as the specification says:
 * the exporter's OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout, compression), the batch
 * processor's OTEL_BSP_*, the sampler's OTEL_TRACES_SAMPLER(_ARG), the resource's
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, the span limits' OTEL_SPAN_*.
 */
export const tracingSchema = {
  OTEL_SDK_DISABLED: Joi.boolean().empty('').default(false),
  // A list, as the specification allows (`otlp,console`); an exporter this service does not ship
  // (zipkin, jaeger, prometheus...) stops start-up rather than tracing nowhere in silence.
  OTEL_TRACES_EXPORTER: Joi.string()
    .allow('')
    .default('')
    .custom((value: string, helpers) => {
      const names = exporterList(value);
      const unknown = names.find((name) => !EXPORTERS.includes(name));
      if (unknown !== undefined) {
        return helpers.message({
          custom: `OTEL_TRACES_EXPORTER: "${unknown}" is not supported (otlp, console or none; Jaeger and Tempo take otlp)`,
        });
      }
      if (names.includes('none') && names.length > 1)
        return helpers.message({ custom: 'OTEL_TRACES_EXPORTER: none cannot be combined with an exporter' });
      return value;
    }),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpEndpoint(),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol('OTEL_EXPORTER_OTLP_PROTOCOL'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'),
};

function otlpEndpoint() {
  return Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .empty('')
    .optional();
}

/** The exporter speaks OTLP/HTTP with JSON bodies, which every OTLP/HTTP receiver takes; not gRPC. */
function otlpProtocol(name: string) {
  return Joi.string()
    .empty('')
    .optional()
    .custom((value: string, helpers) =>
      value === 'http/json' || value === 'http/protobuf'
        ? value
        : helpers.message({
            custom: `${name}: "${value}" is not supported; this service sends OTLP over HTTP (port 4318 of a collector), not gRPC`,
          }),
    );
}

/**
 * The specification's choice, except for the default: tracing is off unless asked for, by an
 * exporter or by an OTLP endpoint (then `otlp`, the specification's default exporter), and
 * OTEL_SDK_DISABLED=true turns it off whatever else is set.
 */
export function tracingConfig(value: {
  OTEL_SDK_DISABLED: boolean;
  OTEL_TRACES_EXPORTER: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
}): TracingConfig {
  if (value.OTEL_SDK_DISABLED) return { exporters: [] };
  const names = exporterList(value.OTEL_TRACES_EXPORTER);
  if (names.length === 0) {
    const endpoint = value.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? value.OTEL_EXPORTER_OTLP_ENDPOINT;
    return { exporters: endpoint ? ['otlp'] : [] };
  }
  return { exporters: names.filter((name): name is TraceExporterName => name !== 'none') };
}

function exporterList(value: string): string[] {
  return [
    ...new Set(
      String(value)
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
}
