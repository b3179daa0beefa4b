// `npm run chaos`: the crash/fault harness (see bench/chaos.ts); exits non-zero unless all zeros.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runChaos } from './chaos.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '90' },
    requests: { type: 'string', default: '4000' },
    seats: { type: 'string', default: '1500' },
    clients: { type: 'string', default: '50' },
    workers: { type: 'string', default: '2' },
    'kill-every-ms': { type: 'string', default: '4000' },
    'redis-restarts': { type: 'string', default: '1' },
    'pg-restarts': { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});

const report = await runChaos({
  seconds: Number(args.seconds),
  requests: Number(args.requests),
  seats: Number(args.seats),
  clients: Number(args.clients),
  workers: Number(args.workers),
  killEveryMs: Number(args['kill-every-ms']),
  redisRestarts: Number(args['redis-restarts']),
  pgRestarts: Number(args['pg-restarts']),
  log: (line) => process.stderr.write(`${line}\n`),
});
const { recoveries, ...figures } = report;
for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(16)} ${value}\n`);
process.stdout.write('\nfault                  at (s)  first decision after (ms)\n');
for (const r of recoveries) {
  process.stdout.write(
    `${r.fault.padEnd(22)} ${String(r.atSecond).padStart(6)}  ${r.idle ? 'idle (nothing was waiting)' : (r.recoveredAfterMs ?? 'none')}\n`,
  );
}
const kills = recoveries.filter((r) => r.fault.startsWith('kill ') && !r.idle);
const worst = Math.max(...kills.map((r) => r.recoveredAfterMs ?? Number.POSITIVE_INFINITY));
process.stdout.write(
  `\nworker kills with requests waiting: ${kills.length}; slowest first decision after one: ${kills.length ? `${worst} ms` : 'n/a'}\n`,
);
if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
const clean = ['lost', 'duplicated', 'oversold', 'webhooksMissing', 'counterDrift'].every(
  (k) => report[k as keyof typeof report] === 0,
);
process.exitCode = clean ? 0 : 1;
