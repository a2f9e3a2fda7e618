export {
  signPayload,
  verifySignature,
  SIGNATURE_HEADER,
  DEFAULT_TOLERANCE_SECONDS,
} from './signature.js';
export { DELIVERY_ID_HEADER } from './post-batch.js';
export {
  WebhookDispatcher,
  WebhooksClosedError,
  type WebhookDispatcherOptions,
} from './webhook-dispatcher.js';
export type { WebhookLogger } from './webhook-endpoint.js';
export { createChangeSinks } from './create-change-sinks.js';
export { WebhookOutlet, type WebhookOutletOptions } from './webhook-outlet.js';
export type { WithholdChanges } from './withhold.js';
