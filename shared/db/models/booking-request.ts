import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { BookingRequestKind, BookingRequestPayload, BookingRequestStatus } from '../../domain.js';
import type { Event } from './event.js';

export class BookingRequest extends Model<
  InferAttributes<BookingRequest>,
  InferCreationAttributes<BookingRequest>
> {
  declare id: CreationOptional<string>;
  declare seq: CreationOptional<string>; // bigint: pg returns it as a string
  declare userId: string;
  declare eventId: string;
  declare kind: BookingRequestKind;
  declare payload: BookingRequestPayload;
  declare idempotencyKey: string | null;
  declare fingerprint: string;
  /** The partner's reference, on a book or hold request (the purchase's first request). */
  declare externalReference: CreationOptional<string | null>;
  declare metadata: CreationOptional<Record<string, string>>;
  declare status: CreationOptional<BookingRequestStatus>;
  declare reason: CreationOptional<string | null>;
  declare reasonDetails: CreationOptional<Record<string, unknown> | null>;
  declare bookingId: CreationOptional<string | null>;
  declare holdId: CreationOptional<string | null>;
  declare queuedAt: CreationOptional<Date>;
  declare decidedAt: CreationOptional<Date | null>;
  /** Its event's summary, where it was loaded with it (api/presenters.ts). */
  declare event?: NonAttribute<Event>;

  static initialize(sequelize: Sequelize) {
    BookingRequest.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        seq: { type: DataTypes.BIGINT, autoIncrement: true },
        userId: { type: DataTypes.UUID, allowNull: false },
        eventId: { type: DataTypes.UUID, allowNull: false },
        kind: { type: DataTypes.TEXT, allowNull: false },
        payload: { type: DataTypes.JSONB, allowNull: false },
        idempotencyKey: { type: DataTypes.TEXT, allowNull: true },
        fingerprint: { type: DataTypes.TEXT, allowNull: false },
        externalReference: { type: DataTypes.TEXT, allowNull: true },
        metadata: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
        status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'queued' },
        reason: { type: DataTypes.TEXT, allowNull: true },
        reasonDetails: { type: DataTypes.JSONB, allowNull: true },
        bookingId: { type: DataTypes.UUID, allowNull: true },
        holdId: { type: DataTypes.UUID, allowNull: true },
        queuedAt: { type: DataTypes.DATE },
        decidedAt: { type: DataTypes.DATE, allowNull: true },
      },
      { sequelize, tableName: 'booking_requests', underscored: true, timestamps: false },
    );
  }
}
