import { randomUUID } from 'node:crypto';
import { ConnectionError, DatabaseError, type Sequelize } from 'sequelize';
import { type IntakeInput, type IntakeResult, insertGroup } from './insert-statement.js';
import { type RingDeps, ringOrLeaveToReconciler } from './ring.js';

/** Most requests one intake statement inserts. */
const MAX_GROUP = 500;

interface Waiting {
  input: IntakeInput;
  resolve: (result: IntakeResult) => void;
  reject: (err: unknown) => void;
}

interface Lane {
  waiting: Waiting[];
  busy: boolean;
}

/**
 * Group commit for intake. Submissions for the same event (and kind of check) that arrive while
 * that event's previous statement is still running are inserted together by the next one: one
 * statement, one commit and one doorbell job for the whole group. A lone submission goes out at
 * once (after the current event-loop turn), so an idle service adds no delay; a busy one makes
 * larger groups. After each statement the group's event is rung once, then each caller hears
 * back, so no caller is answered before its row has committed and its event was rung.
 */
export class GroupCommit {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly sequelize: Sequelize,
    private readonly ringDeps: RingDeps,
  ) {}

  submit(eventId: string, requireOnSale: boolean, input: Omit<IntakeInput, 'id'>): Promise<IntakeResult> {
    const key = `${eventId}:${requireOnSale}`;
    const lane = this.lanes.get(key) ?? { waiting: [], busy: false };
    this.lanes.set(key, lane);
    const promise = new Promise<IntakeResult>((resolve, reject) =>
      lane.waiting.push({ input: { ...input, id: randomUUID() }, resolve, reject }),
    );
    if (!lane.busy) {
      lane.busy = true;
      setImmediate(() => void this.drain(key, eventId, requireOnSale, lane));
    }
    return promise;
  }

  private async drain(key: string, eventId: string, requireOnSale: boolean, lane: Lane): Promise<void> {
    while (lane.waiting.length > 0) {
      const group = lane.waiting.splice(0, MAX_GROUP);
      try {
        await this.commit(eventId, requireOnSale, group);
      } catch (err) {
        if (group.length === 1 || !isolatable(err)) {
          for (const w of group) w.reject(err);
          continue;
        }
        // One caller's bad row must not fail the others: each is committed on its own, in
        // arrival order, and only the bad one hears its error.
        for (const w of group) {
          await this.commit(eventId, requireOnSale, [w]).catch((e: unknown) => w.reject(e));
        }
      }
    }
    lane.busy = false;
    this.lanes.delete(key);
  }

  /** One statement for `group`, one ring for what it inserted, then each caller's answer. */
  private async commit(eventId: string, requireOnSale: boolean, group: Waiting[]): Promise<void> {
    const results = await insertGroup(
      this.sequelize,
      eventId,
      requireOnSale,
      group.map((w) => w.input),
    );
    const rows = [...results.values()].flatMap((r) => (r.inserted ? [r.inserted] : []));
    if (rows.length > 0) {
      // One doorbell for the group, named after its last request: requests are decided in `seq`
      // order, so by the time that one is decided every earlier one of the group is too.
      const last = rows.reduce((a, b) => (BigInt(b.seq) > BigInt(a.seq) ? b : a));
      await ringOrLeaveToReconciler(this.ringDeps, eventId, last.id);
    }
    for (const w of group) w.resolve(results.get(w.input.id)!);
  }
}

/**
 * A statement that failed because of what one row holds (a constraint, a value the database
 * refuses) is worth retrying row by row; a lost connection or a timeout would fail each row
 * again, so the group hears it at once.
 */
function isolatable(err: unknown): boolean {
  return err instanceof DatabaseError && !(err instanceof ConnectionError);
}
