import { InProcessBus } from '../in-process-bus.js';
import { describeBusContract } from './bus-contract.js';

describeBusContract('in-process', async () => {
  const bus = new InProcessBus();
  return {
    bus,
    deadLetters: () => Promise.resolve([...bus.deadLetters]),
    close: () => bus.close(),
  };
});
