import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/** A row of the transactional outbox: one webhook message, possibly delivered to many endpoints. */
export class OutboxMessage extends Model<
  InferAttributes<OutboxMessage>,
  InferCreationAttributes<OutboxMessage>
> {
  declare id: CreationOptional<string>;
  declare messageId: string;
  declare type: string;
  declare eventId: string | null;
  declare userId: string | null;
  declare payload: { type: string; timestamp: string; data: Record<string, unknown> };
  declare createdAt: CreationOptional<Date>;
  declare relayedAt: CreationOptional<Date | null>;

  static initialize(sequelize: Sequelize) {
    OutboxMessage.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        messageId: { type: DataTypes.TEXT, allowNull: false },
        type: { type: DataTypes.TEXT, allowNull: false },
        eventId: { type: DataTypes.UUID, allowNull: true },
        userId: { type: DataTypes.UUID, allowNull: true },
        payload: { type: DataTypes.JSONB, allowNull: false },
        createdAt: DataTypes.DATE,
        relayedAt: { type: DataTypes.DATE, allowNull: true },
      },
      { sequelize, tableName: 'webhook_outbox', underscored: true, timestamps: false },
    );
  }
}
