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
  // A booking's, hold's or entry's event and its purchase's first request: what they are shown
  // with (api/presenters.ts), joined by primary key.
  Booking.belongsTo(Event, { foreignKey: 'eventId', as: 'event' });
  Booking.belongsTo(BookingRequest, { foreignKey: 'requestId', as: 'purchase' });
  Hold.belongsTo(Event, { foreignKey: 'eventId', as: 'event' });
  Hold.belongsTo(BookingRequest, { foreignKey: 'requestId', as: 'purchase' });
  WaitlistEntry.belongsTo(Event, { foreignKey: 'eventId', as: 'event' });
  WaitlistEntry.belongsTo(BookingRequest, { foreignKey: 'requestId', as: 'purchase' });
  BookingRequest.belongsTo(Event, { foreignKey: 'eventId', as: 'event' });
  BookingRequest.belongsTo(Booking, { foreignKey: 'bookingId', as: 'booking' });
  WebhookDelivery.belongsTo(OutboxMessage, { foreignKey: 'outboxId', as: 'message' });
}
