import type { EventInput } from '@rapport/schemas';
import { createWorld, simulatePerson } from './customer.js';
import { resolveOptions, type GeneratorOptions } from './options.js';
import type { CustomerTruth, GeneratedCustomer } from './types.js';

/**
 * Generates people one at a time, each with their events in time order and the truth they
 * were drawn from. Lazy: nothing is drawn until asked for, and nothing is kept after it is
 * handed out, so a million people stream in constant memory. Each person has a random stream
 * of their own (seed and number), so person n is the same whatever else is generated.
 */
export function* generateCustomers(
  options: GeneratorOptions = {},
): Generator<GeneratedCustomer, void, undefined> {
  const world = createWorld(resolveOptions(options));
  for (let index = 0; index < world.options.customers; index++) yield simulatePerson(world, index);
}

/** Person number `index` (0-based) of a generation, without generating the others. */
export function generateCustomer(options: GeneratorOptions, index: number): GeneratedCustomer {
  if (!Number.isSafeInteger(index) || index < 0)
    throw new RangeError(`index must be a whole number, got ${index}`);
  return simulatePerson(createWorld(resolveOptions(options)), index);
}

export interface GenerateEventsOptions extends GeneratorOptions {
  /** Called with each person's truth as soon as their events have been handed out. */
  onCustomer?: (truth: CustomerTruth) => void;
}

/**
 * Every event of a generation, person after person (each person's events in time order; the
 * stream as a whole is not), lazily and in constant memory.
 */
export function* generateEvents(
  options: GenerateEventsOptions = {},
): Generator<EventInput, void, undefined> {
  const { onCustomer, ...rest } = options;
  for (const customer of generateCustomers(rest)) {
    yield* customer.events;
    onCustomer?.(customer.truth);
  }
}
