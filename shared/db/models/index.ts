import type { Sequelize } from 'sequelize';
import { Booking } from './booking.js';
import { BookingRequest } from './booking-request.js';
import { Event } from './event.js';
import { User } from './user.js';

export { Booking, BookingRequest, Event, User };

export function initModels(sequelize: Sequelize): void {
  User.initialize(sequelize);
  Event.initialize(sequelize);
  BookingRequest.initialize(sequelize);
  Booking.initialize(sequelize);
  Booking.belongsTo(Event, { foreignKey: 'eventId', as: 'event' });
  BookingRequest.belongsTo(Booking, { foreignKey: 'bookingId', as: 'booking' });
}
