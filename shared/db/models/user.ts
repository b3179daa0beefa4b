import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';
import type { Role } from '../../domain.js';

export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: CreationOptional<string>;
  declare email: string;
  declare passwordHash: string;
  declare name: string;
  declare role: CreationOptional<Role>;
  /** Set by an admin: the account can neither sign in nor use the tokens it holds. */
  declare disabledAt: CreationOptional<Date | null>;
  /** Whether the account receives attendee emails (its own switch, `PATCH /auth/me`). */
  declare emailNotifications: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  override toJSON() {
    return {
      id: this.id,
      email: this.email,
      name: this.name,
      role: this.role,
      disabled: this.disabledAt !== null && this.disabledAt !== undefined,
      emailNotifications: this.emailNotifications,
      createdAt: this.createdAt,
    } as unknown as InferAttributes<User>;
  }

  static initialize(sequelize: Sequelize) {
    User.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        email: { type: DataTypes.TEXT, allowNull: false },
        passwordHash: { type: DataTypes.TEXT, allowNull: false },
        name: { type: DataTypes.TEXT, allowNull: false },
        role: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'user' },
        disabledAt: { type: DataTypes.DATE, allowNull: true },
        emailNotifications: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'users', underscored: true },
    );
  }
}
