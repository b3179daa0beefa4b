import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';
import { shownStatus } from '../../booking-rules.js';
import type { EventStatus, Seating, WaitlistPromotion } from '../../domain.js';

export class Event extends Model<InferAttributes<Event>, InferCreationAttributes<Event>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare description: CreationOptional<string>;
  declare venue: string;
  declare startsAt: Date;
  declare endsAt: Date | null;
  declare capacity: number;
  declare status: CreationOptional<EventStatus>;
  declare booked: CreationOptional<number>;
  declare held: CreationOptional<number>;
  declare seating: CreationOptional<Seating>;
  declare waitlistPromotion: CreationOptional<WaitlistPromotion>;
  declare holdTtlSeconds: CreationOptional<number | null>;
  /** When the event went on sale; null while it is, or since it went back to being, a draft. */
  declare publishedAt: CreationOptional<Date | null>;
  /** Most tickets one buyer may have (confirmed, held, waitlisted); null is no cap. */
  declare maxTicketsPerUser: CreationOptional<number | null>;
  /** Whether partners and admins are held to the buyer limits too (they book for many people). */
  declare limitPartners: CreationOptional<boolean>;
  /** IANA time zone the event's emails show its start in; null: UTC, said so. */
  declare timeZone: CreationOptional<string | null>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  /**
   * Whether anyone but an admin may see the event: it went on sale and has not gone back to
   * being a draft since (what changed while it was a draft was never public, so a cancellation
   * after that is not either). The one rule for the API, the webhooks and the error messages.
   */
  isPublic(): boolean {
    // The save hook keeps `publishedAt` in step with the status, so it alone decides, exactly as
    // the lists' SQL filter (`published_at IS NOT NULL`) does.
    return this.publishedAt !== null && this.publishedAt !== undefined;
  }

  /** Seats a new booking could still get; a cancelled, started or finished event has none. */
  availableSeats(now = new Date()): number {
    if (this.status !== 'on_sale' && this.status !== 'draft') return 0;
    if (this.startsAt <= now) return 0;
    return this.capacity - this.booked - this.held;
  }

  override toJSON() {
    const now = new Date();
    return {
      id: this.id,
      name: this.name,
      description: this.description,
      venue: this.venue,
      startsAt: this.startsAt,
      endsAt: this.endsAt,
      capacity: this.capacity,
      booked: this.booked,
      held: this.held,
      available: this.availableSeats(now),
      seating: this.seating,
      waitlistPromotion: this.waitlistPromotion,
      holdTtlSeconds: this.holdTtlSeconds,
      maxTicketsPerUser: this.maxTicketsPerUser,
      limitPartners: this.limitPartners,
      timeZone: this.timeZone ?? null,
      // What it shows, not what is stored: an event whose start has passed no longer says on_sale.
      status: shownStatus(this, now),
      version: this.version,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
    } as unknown as InferAttributes<Event>;
  }

  static initialize(sequelize: Sequelize) {
    Event.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        name: { type: DataTypes.TEXT, allowNull: false },
        description: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
        venue: { type: DataTypes.TEXT, allowNull: false },
        startsAt: { type: DataTypes.DATE, allowNull: false },
        endsAt: { type: DataTypes.DATE, allowNull: true },
        capacity: { type: DataTypes.INTEGER, allowNull: false },
        status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'on_sale' },
        booked: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        held: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        seating: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'general' },
        waitlistPromotion: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'book' },
        holdTtlSeconds: { type: DataTypes.INTEGER, allowNull: true },
        publishedAt: { type: DataTypes.DATE, allowNull: true },
        maxTicketsPerUser: { type: DataTypes.INTEGER, allowNull: true },
        limitPartners: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        timeZone: { type: DataTypes.TEXT, allowNull: true },
        version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      {
        sequelize,
        tableName: 'events',
        underscored: true,
        hooks: {
          // Publication is recorded by the row itself, whichever path sets the status.
          beforeSave(event) {
            if (event.status === 'on_sale' && !event.publishedAt) event.publishedAt = new Date();
            if (event.status === 'draft') event.publishedAt = null;
          },
        },
      },
    );
  }
}
