// `npm run migrate`: apply pending migrations and exit.
import { main } from './lifecycle.js';

main(['migrate']);
