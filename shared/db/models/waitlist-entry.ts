import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { WaitlistStatus } from '../../domain.js';
import type { BookingRequest } from './booking-request.js';
import type { Event } from './event.js';

/** A place in an event's line for seats, kept in arrival (`seq`) order. */
export class WaitlistEntry extends Model<
  InferAttributes<WaitlistEntry>,
  InferCreationAttributes<WaitlistEntry>
> {
  declare id: CreationOptional<string>;
  declare eventId: string;
  declare userId: string;
  declare requestId: string;
  declare seq: string; // bigint: pg returns it as a string
  declare quantity: number;
  declare minQuantity: number;
  declare section: string | null;
  declare status: CreationOptional<WaitlistStatus>;
  declare bookingId: CreationOptional<string | null>;
  declare holdId: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare endedAt: CreationOptional<Date | null>;
  /** Its event's summary and its purchase's first request (the reference), where loaded with them. */
  declare event?: NonAttribute<Event>;
  declare purchase?: NonAttribute<BookingRequest>;

  static initialize(sequelize: Sequelize) {
    WaitlistEntry.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        eventId: { type: DataTypes.UUID, allowNull: false },
        userId: { type: DataTypes.UUID, allowNull: false },
        requestId: { type: DataTypes.UUID, allowNull: false },
        seq: { type: DataTypes.BIGINT, allowNull: false },
        quantity: { type: DataTypes.INTEGER, allowNull: false },
        minQuantity: { type: DataTypes.INTEGER, allowNull: false },
        section: { type: DataTypes.TEXT, allowNull: true },
        status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'waiting' },
        bookingId: { type: DataTypes.UUID, allowNull: true },
        holdId: { type: DataTypes.UUID, allowNull: true },
        createdAt: { type: DataTypes.DATE },
        endedAt: { type: DataTypes.DATE, allowNull: true },
      },
      { sequelize, tableName: 'waitlist_entries', underscored: true, timestamps: false },
    );
  }
}
