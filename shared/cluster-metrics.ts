import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { metricsRegistry, scrapeTimeRegistry } from './metrics.js';

/**
 * Metrics across the processes of one supervisor (`npm start`, bin/supervisor.ts). Each process
 * has its own registry, and a scrape of the API's shared port reaches one API process. So that
 * process asks the supervisor, the supervisor collects every child's registry as JSON over the
 * cluster's IPC channel, and merges them with prom-client's AggregatorRegistry.aggregate():
 * counters and histograms summed, gauges by their `aggregator` (sum unless a metric says
 * otherwise). prom-client's own clusterMetrics() is not used: it asks every forked child,
 * including one still loading its modules, which never answers and fails the scrape after 5 s;
 * the supervisor asks only the children that said they are ready.
 */

/** One process's registry as JSON (`getMetricsAsJSON()`), what AggregatorRegistry merges. */
type ProcessMetrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** The messages of this protocol; `evently` keeps them apart from prom-client's and node's own. */
type MetricsMessage =
  | { evently: 'metrics-wanted'; id: number }
  | { evently: 'metrics-collect'; id: number }
  | { evently: 'metrics-collected'; id: number; metrics: ProcessMetrics }
  | { evently: 'metrics-merged'; id: number; text?: string; error?: string };

/** A scrape waits this long for the supervisor, and the supervisor for each child. */
const METRICS_TIMEOUT_MS = 5000;

export interface MetricsText {
  text: string;
  contentType: string;
}

function isMessage(message: unknown): message is MetricsMessage {
  return typeof message === 'object' && message !== null && 'evently' in message && 'id' in message;
}

/** Whether this process is a child of the supervisor, whose metrics are merged with its siblings'. */
export function underSupervisor(): boolean {
  return cluster.isWorker && typeof process.send === 'function';
}

let nextId = 0;
const pending = new Map<number, (reply: Extract<MetricsMessage, { evently: 'metrics-merged' }>) => void>();
let listening = false;

/**
 * This process's metrics, or under the supervisor those of every process it runs (all API
 * processes and the worker), followed by the scrape-time series, read once here
 * (`scrapeTimeRegistry`). Throws if the supervisor does not answer in time.
 */
export async function scrapeMetrics(): Promise<MetricsText> {
  const [processes, shared] = await Promise.all([processMetrics(), scrapeTimeRegistry.metrics()]);
  return { text: joinExpositions(processes, shared), contentType: metricsRegistry.contentType };
}

/** Two Prometheus text expositions of different metric families, one after the other. */
function joinExpositions(a: string, b: string): string {
  if (!a) return b;
  return a.endsWith('\n') ? a + b : `${a}\n${b}`;
}

async function processMetrics(): Promise<string> {
  if (!underSupervisor()) return metricsRegistry.metrics();
  if (!listening) {
    listening = true;
    process.on('message', (message: unknown) => {
      if (isMessage(message) && message.evently === 'metrics-merged') pending.get(message.id)?.(message);
    });
  }
  const id = nextId++;
  const reply = await new Promise<Extract<MetricsMessage, { evently: 'metrics-merged' }>>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the supervisor did not answer with the merged metrics in time'));
      }, METRICS_TIMEOUT_MS);
      pending.set(id, (message) => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(message);
      });
      // With a callback a closed channel (the supervisor gone) fails this scrape, not the process.
      process.send!(
        { evently: 'metrics-wanted', id } satisfies MetricsMessage,
        undefined,
        undefined,
        (err) => {
          if (!err) return;
          clearTimeout(timer);
          pending.delete(id);
          reject(err);
        },
      );
    },
  );
  if (reply.text === undefined) throw new Error(`merging the processes' metrics failed: ${reply.error}`);
  return reply.text;
}

/** In a child of the supervisor: hands this process's registry over when the supervisor asks. */
export function answerMetricsRequests(): void {
  if (!underSupervisor()) return;
  process.on('message', (message: unknown) => {
    if (!isMessage(message) || message.evently !== 'metrics-collect') return;
    void metricsRegistry.getMetricsAsJSON().then(
      (metrics) =>
        process.send!({ evently: 'metrics-collected', id: message.id, metrics } satisfies MetricsMessage),
      // An answer that never comes fails the scrape at the supervisor's timeout; say why sooner.
      () =>
        process.send!({ evently: 'metrics-collected', id: message.id, metrics: [] } satisfies MetricsMessage),
    );
  });
}

/**
 * In the supervisor: answers a child's `metrics-wanted` with the merged metrics of `children()`
 * (the ready ones). A child that does not answer in time fails the scrape rather than leave its
 * counters out: a sum that drops looks like a counter reset to Prometheus.
 */
export function serveMergedMetrics(children: () => Worker[]): void {
  let nextCollect = 0;
  const collecting = new Map<number, (metrics: ProcessMetrics) => void>();
  cluster.on('message', (from: Worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.evently === 'metrics-collected') {
      collecting.get(message.id)?.(message.metrics);
      return;
    }
    if (message.evently !== 'metrics-wanted') return;
    const ask = (child: Worker) =>
      new Promise<ProcessMetrics>((resolve, reject) => {
        const id = nextCollect++;
        const timer = setTimeout(() => {
          collecting.delete(id);
          reject(new Error(`process ${child.process.pid} did not hand its metrics over in time`));
        }, METRICS_TIMEOUT_MS);
        collecting.set(id, (metrics) => {
          clearTimeout(timer);
          collecting.delete(id);
          resolve(metrics);
        });
        child.send({ evently: 'metrics-collect', id } satisfies MetricsMessage);
      });
    const reply = (
      answer: Omit<Extract<MetricsMessage, { evently: 'metrics-merged' }>, 'evently' | 'id'>,
    ) => {
      if (from.isConnected())
        from.send({ evently: 'metrics-merged', id: message.id, ...answer } satisfies MetricsMessage);
    };
    Promise.all(
      children()
        .filter((child) => child.isConnected())
        .map(ask),
    )
      .then((all) => AggregatorRegistry.aggregate(all).metrics())
      .then(
        (text) => reply({ text }),
        (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
      );
  });
}
