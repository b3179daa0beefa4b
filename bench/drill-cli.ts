// `npm run drill`: the backup and restore drill (see bench/drill.ts); exits non-zero unless
// nothing the backup holds was lost, decided twice or oversold, and no token it revoked works again.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runDrill } from './drill.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    requests: { type: 'string', default: '3000' },
    seats: { type: 'string', default: '1500' },
    clients: { type: 'string', default: '50' },
    workers: { type: 'string', default: '2' },
    'backup-at': { type: 'string', default: '0.5' },
    'recovery-timeout': { type: 'string', default: '120' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    database: { type: 'string', default: 'evently_drill' },
    json: { type: 'string' },
  },
});

const report = await runDrill({
  databaseUrl: args['database-url']!,
  databasePrefix: args.database!,
  seconds: Number(args.seconds),
  requests: Number(args.requests),
  seats: Number(args.seats),
  clients: Number(args.clients),
  workers: Number(args.workers),
  backupAt: Number(args['backup-at']),
  recoveryTimeoutSeconds: Number(args['recovery-timeout']),
  log: (line) => process.stderr.write(`${line}\n`),
});
for (const [key, value] of Object.entries(report)) process.stdout.write(`${key.padEnd(34)} ${value}\n`);
if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
const clean =
  ['lost', 'redecided', 'oversold', 'counterDrift', 'overdueHolds', 'webhooksMissing'].every(
    (k) => report[k as keyof typeof report] === 0,
  ) && !report.revokedTokenAcceptedAfterRedisLoss;
process.exitCode = clean ? 0 : 1;
