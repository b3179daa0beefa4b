// `npm run api`: the HTTP role alone (run several behind a load balancer to scale out).
import { main } from './lifecycle.js';

main(['api']);
