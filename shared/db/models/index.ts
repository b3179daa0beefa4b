import type { Sequelize } from 'sequelize';
import { Booking } from './booking.js';
import { BookingRequest } from './booking-request.js';
import { Event } from './event.js';
import { Hold } from './hold.js';
import { OutboxMessage } from './outbox-message.js';
import { User } from './user.js';
import { WaitlistEntry } from './waitlist-entry.js';
import { WebhookDelivery } from './webhook-delivery.js';
import { WebhookEndpoint } from './webhook-endpoint.js';

export {
  Booking,
  BookingRequest,
  Event,
  Hold,
  OutboxMessage,
  User,
  WaitlistEntry,
  WebhookDelivery,
  WebhookEndpoint,
};

export function initModels(sequelize: Sequelize): void {
  User.initialize(sequelize);
  Event.initialize(sequelize);
  BookingRequest.initialize(sequelize);
  Booking.initialize(sequelize);
  Hold.initialize(sequelize);
  WaitlistEntry.initialize(sequelize);
  OutboxMessage.initialize(sequelize);
  WebhookEndpoint.initialize(sequelize);
  WebhookDelivery.initialize(sequelize);
  Booking.belongsTo(Event, { foreignKey: 'eventId', as: 'event' });
  BookingRequest.belongsTo(Booking, { foreignKey: 'bookingId', as: 'booking' });
  WebhookDelivery.belongsTo(OutboxMessage, { foreignKey: 'outboxId', as: 'message' });
}
