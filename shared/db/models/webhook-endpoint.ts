import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';
import type { StoredSecret } from '../../webhooks/types.js';

export class WebhookEndpoint extends Model<
  InferAttributes<WebhookEndpoint>,
  InferCreationAttributes<WebhookEndpoint>
> {
  declare id: CreationOptional<string>;
  declare userId: string;
  declare url: string;
  declare description: CreationOptional<string>;
  declare eventTypes: string[];
  declare secrets: StoredSecret[];
  declare status: CreationOptional<'enabled' | 'disabled'>;
  declare disabledReason: CreationOptional<string | null>;
  declare consecutiveFailures: CreationOptional<number>;
  declare circuitOpenUntil: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare deletedAt: CreationOptional<Date | null>;

  /** Never includes the secrets: they are shown once, when created or rotated. */
  override toJSON() {
    return {
      id: this.id,
      userId: this.userId,
      url: this.url,
      description: this.description,
      eventTypes: this.eventTypes,
      status: this.status,
      disabledReason: this.disabledReason ?? null,
      circuitOpenUntil: this.circuitOpenUntil ?? null,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
    } as unknown as InferAttributes<WebhookEndpoint>;
  }

  static initialize(sequelize: Sequelize) {
    WebhookEndpoint.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        userId: { type: DataTypes.UUID, allowNull: false },
        url: { type: DataTypes.TEXT, allowNull: false },
        description: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
        eventTypes: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false },
        secrets: { type: DataTypes.JSONB, allowNull: false },
        status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'enabled' },
        disabledReason: { type: DataTypes.TEXT, allowNull: true },
        consecutiveFailures: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        circuitOpenUntil: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
        deletedAt: { type: DataTypes.DATE, allowNull: true },
      },
      { sequelize, tableName: 'webhook_endpoints', underscored: true, paranoid: true },
    );
  }
}
