// The worker's event dispatch: one fleet-wide line of events with work, served by a constant
// number of slots per process without a Redis connection per event.
export { ActiveEvents, nextTurnAt, type QueueState } from './active-events.js';
export { Dispatcher, type DispatcherOptions } from './dispatcher.js';
