import type { Sequelize } from 'sequelize';
import { type Delivered, recordDelivered } from './delivery-store.js';

/**
 * Records successes with group commit: while one statement is in flight the successes that
 * arrive meanwhile wait and are written together by the next, so under load a statement stands
 * for many deliveries, and alone a success is written at once. `record()` resolves once the
 * statement holding it has committed (a job completes only after its deliveries are recorded).
 */
export class DeliveredRecorder {
  private waiting: { delivered: Delivered; done: () => void; failed: (err: unknown) => void }[] = [];
  private writing = false;

  constructor(private readonly sequelize: Sequelize) {}

  record(delivered: Delivered): Promise<void> {
    return new Promise((done, failed) => {
      this.waiting.push({ delivered, done, failed });
      if (!this.writing) void this.write();
    });
  }

  private async write(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const group = this.waiting;
      this.waiting = [];
      try {
        await recordDelivered(
          this.sequelize,
          group.map((g) => g.delivered),
        );
        for (const g of group) g.done();
      } catch (err) {
        for (const g of group) g.failed(err);
      }
    }
    this.writing = false;
  }
}
