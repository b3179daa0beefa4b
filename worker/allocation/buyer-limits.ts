import { REJECTION_REASONS, type RejectionReason } from '../../shared/domain.js';

/** What one buyer already has at an event, as the step starts. */
export interface BuyerState {
  /** Whether the limits apply: users always, partners and admins when the event says so. */
  limited: boolean;
  /** Tickets confirmed, held and waiting on the waitlist. */
  tickets: number;
  /** Active holds. */
  holds: number;
}

export interface BuyerLimitRules {
  /** The event's `maxTicketsPerUser`; null is no cap. */
  maxTickets: number | null;
  /** MAX_HOLDS_PER_USER. */
  maxHolds: number;
}

export type Allowance =
  | { tickets: number }
  | { reason: RejectionReason; details: { limit: number; counted: number } };

/**
 * Fair limits per buyer, kept by the allocation step while it decides an event's requests in
 * arrival order: the step holds the event's lock, so two requests of one buyer, however they
 * arrive and whichever worker decides them, are counted one after the other and never race past
 * a cap. Pure, like the ledger that uses it. Buyers the step did not load are not limited.
 */
export class BuyerLimits {
  private readonly buyers: Map<string, BuyerState>;

  constructor(
    buyers: ReadonlyMap<string, BuyerState>,
    private readonly rules: BuyerLimitRules,
  ) {
    this.buyers = new Map([...buyers].map(([id, state]) => [id, { ...state }]));
  }

  /**
   * How many tickets `userId` may take now for a book or hold request that needs at least
   * `needed`, or why not: a hold beyond the hold cap, or `needed` beyond the ticket cap.
   */
  allowance(userId: string, kind: 'book' | 'hold', needed: number): Allowance {
    const buyer = this.buyers.get(userId);
    if (!buyer?.limited) return { tickets: Number.POSITIVE_INFINITY };
    const { maxTickets, maxHolds } = this.rules;
    if (kind === 'hold' && buyer.holds >= maxHolds) {
      return {
        reason: REJECTION_REASONS.holdLimit,
        details: { limit: maxHolds, counted: buyer.holds },
      };
    }
    if (maxTickets === null) return { tickets: Number.POSITIVE_INFINITY };
    const left = maxTickets - buyer.tickets;
    if (needed > left) {
      return {
        reason: REJECTION_REASONS.ticketLimit,
        details: { limit: maxTickets, counted: buyer.tickets },
      };
    }
    return { tickets: left };
  }

  /** Whether one more hold would take the buyer past the hold cap (an offer hold included). */
  atHoldCap(userId: string): boolean {
    const buyer = this.buyers.get(userId);
    return buyer?.limited === true && buyer.holds >= this.rules.maxHolds;
  }

  /** Tickets and active holds a buyer gained (positive) or gave up (negative) in this step. */
  adjust(userId: string, tickets: number, holds: number): void {
    const buyer = this.buyers.get(userId);
    if (!buyer) return;
    buyer.tickets += tickets;
    buyer.holds += holds;
  }
}
