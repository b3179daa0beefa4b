import { randomUUID } from 'node:crypto';
import { ConnectionError, DatabaseError, type Sequelize } from 'sequelize';
import { type IntakeInput, type IntakeResult, type IntakeRow, insertGroup } from './insert-statement.js';
import { type RingDeps, ringOrLeaveToReconciler } from './ring.js';

/** Most requests one intake statement inserts. */
const MAX_GROUP = 500;
/** Statements in flight at once per lane: the next group forms while two run. */
const MAX_IN_FLIGHT = 2;

interface Waiting {
  input: IntakeInput;
  resolve: (result: IntakeResult) => void;
  reject: (err: unknown) => void;
}

interface Lane {
  waiting: Waiting[];
  inFlight: number;
}

/**
 * Group commit for intake. Submissions (for any events, with the same kind of check) that arrive
 * while earlier statements run are inserted together by the next one: one statement and one
 * commit for the whole group, and one doorbell job per event in it. A lone submission goes out
 * at once (after the current event-loop turn), so an idle service adds no delay; a busy one makes
 * larger groups, which is what carries both a flash sale (one event, many requests) and a
 * thousand events on sale at once (many events, a request or two each). After each statement
 * every event of the group is rung once, then each caller hears back, so no caller is answered
 * before its row has committed and its event was rung.
 */
export class GroupCommit {
  private readonly lanes = new Map<boolean, Lane>();

  constructor(
    private readonly sequelize: Sequelize,
    private readonly ringDeps: RingDeps,
  ) {}

  submit(
    eventId: string,
    requireOnSale: boolean,
    input: Omit<IntakeInput, 'id' | 'eventId'>,
  ): Promise<IntakeResult> {
    const lane = this.lanes.get(requireOnSale) ?? { waiting: [], inFlight: 0 };
    this.lanes.set(requireOnSale, lane);
    const promise = new Promise<IntakeResult>((resolve, reject) =>
      lane.waiting.push({ input: { ...input, eventId, id: randomUUID() }, resolve, reject }),
    );
    if (lane.inFlight < MAX_IN_FLIGHT) {
      lane.inFlight += 1;
      setImmediate(() => void this.drain(requireOnSale, lane));
    }
    return promise;
  }

  private async drain(requireOnSale: boolean, lane: Lane): Promise<void> {
    while (lane.waiting.length > 0) {
      const group = lane.waiting.splice(0, MAX_GROUP);
      try {
        await this.commit(requireOnSale, group);
      } catch (err) {
        if (group.length === 1 || !isolatable(err)) {
          for (const w of group) w.reject(err);
          continue;
        }
        // One caller's bad row must not fail the others: each is committed on its own, in
        // arrival order, and only the bad one hears its error.
        for (const w of group) {
          await this.commit(requireOnSale, [w]).catch((e: unknown) => w.reject(e));
        }
      }
    }
    lane.inFlight -= 1;
  }

  /** One statement for `group`, one ring per event it inserted for, then each caller's answer. */
  private async commit(requireOnSale: boolean, group: Waiting[]): Promise<void> {
    const results = await insertGroup(
      this.sequelize,
      requireOnSale,
      group.map((w) => w.input),
    );
    // One doorbell per event, named after its last request of the group: requests are decided
    // in `seq` order, so by the time that one is decided every earlier one of the group is too.
    const last = new Map<string, IntakeRow>();
    for (const result of results.values()) {
      const row = result.inserted;
      if (!row) continue;
      const previous = last.get(row.eventId);
      if (!previous || BigInt(row.seq) > BigInt(previous.seq)) last.set(row.eventId, row);
    }
    await Promise.all(
      [...last.values()].map((row) => ringOrLeaveToReconciler(this.ringDeps, row.eventId, row.id)),
    );
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
