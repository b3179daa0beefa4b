import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { BookingStatus } from '../../domain.js';
import type { BookingRequest } from './booking-request.js';
import type { Event } from './event.js';

export class Booking extends Model<InferAttributes<Booking>, InferCreationAttributes<Booking>> {
  declare id: CreationOptional<string>;
  declare eventId: string;
  declare userId: string;
  declare requestId: string;
  declare status: CreationOptional<BookingStatus>;
  declare quantity: number;
  declare seats: CreationOptional<unknown[] | null>;
  declare holdId: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare cancelledAt: CreationOptional<Date | null>;
  /** Its event's summary and its purchase's first request (the reference), where loaded with them. */
  declare event?: NonAttribute<Event>;
  declare purchase?: NonAttribute<BookingRequest>;

  static initialize(sequelize: Sequelize) {
    Booking.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        eventId: { type: DataTypes.UUID, allowNull: false },
        userId: { type: DataTypes.UUID, allowNull: false },
        requestId: { type: DataTypes.UUID, allowNull: false },
        status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'confirmed' },
        quantity: { type: DataTypes.INTEGER, allowNull: false },
        seats: { type: DataTypes.JSONB, allowNull: true },
        holdId: { type: DataTypes.UUID, allowNull: true },
        createdAt: { type: DataTypes.DATE },
        cancelledAt: { type: DataTypes.DATE, allowNull: true },
      },
      { sequelize, tableName: 'bookings', underscored: true, timestamps: false },
    );
  }
}
