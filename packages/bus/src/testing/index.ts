export { SimulatedLog, SimulatedConsumer, type SimulatedConsumerOptions } from './simulated-log.js';
export { findKafka, type KafkaTarget } from '../contract/kafka-target.js';
