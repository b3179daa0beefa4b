// `npm run worker`: the allocation role alone (run several; each event stays serialized).
import { main } from './lifecycle.js';

main(['worker']);
