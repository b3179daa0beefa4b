import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { HoldStatus } from '../../domain.js';
import type { BookingRequest } from './booking-request.js';
import type { Event } from './event.js';

/** Seats kept for one buyer until `expiresAt`, while they check out. Written by the allocator only. */
export class Hold extends Model<InferAttributes<Hold>, InferCreationAttributes<Hold>> {
  declare id: CreationOptional<string>;
  declare eventId: string;
  declare userId: string;
  declare requestId: string;
  declare quantity: number;
  declare seats: CreationOptional<unknown[] | null>;
  declare status: CreationOptional<HoldStatus>;
  declare expiresAt: Date;
  declare bookingId: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare endedAt: CreationOptional<Date | null>;
  /** Its event's summary and its purchase's first request (the reference), where loaded with them. */
  declare event?: NonAttribute<Event>;
  declare purchase?: NonAttribute<BookingRequest>;

  static initialize(sequelize: Sequelize) {
    Hold.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        eventId: { type: DataTypes.UUID, allowNull: false },
        userId: { type: DataTypes.UUID, allowNull: false },
        requestId: { type: DataTypes.UUID, allowNull: false },
        quantity: { type: DataTypes.INTEGER, allowNull: false },
        seats: { type: DataTypes.JSONB, allowNull: true },
        status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'active' },
        expiresAt: { type: DataTypes.DATE, allowNull: false },
        bookingId: { type: DataTypes.UUID, allowNull: true },
        createdAt: { type: DataTypes.DATE },
        endedAt: { type: DataTypes.DATE, allowNull: true },
      },
      { sequelize, tableName: 'holds', underscored: true, timestamps: false },
    );
  }
}
