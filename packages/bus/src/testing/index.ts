export { SimulatedLog, SimulatedConsumer, type SimulatedConsumerOptions } from './simulated-log.js';
export { findKafka, type KafkaTarget } from '../contract/kafka-target.js';
export { partitionOf } from './partition-of.js';
export { groupAssignment } from './group-assignment.js';
