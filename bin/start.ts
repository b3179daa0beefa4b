// The all-in-one entry behind `npm start`: migrations, then the API and the worker in one process.
import { main } from './lifecycle.js';

main(['migrate', 'worker', 'api']);
