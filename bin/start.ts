// The all-in-one entry behind `npm start`: the supervisor (bin/supervisor.ts) runs the migrations,
// then forks this same file once per process, with the process's role as its argument:
// API_PROCESSES API processes sharing PORT, and one worker process.
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { main } from './lifecycle.js';
import { supervise } from './supervisor.js';

if (cluster.isPrimary) {
  supervise(fileURLToPath(import.meta.url)).catch((err) => {
    console.error('evently: start-up failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
} else {
  const role = process.argv[2];
  if (role !== 'api' && role !== 'worker')
    throw new Error(`bin/start.ts forked with an unknown role: ${role}`);
  main([role]);
}
