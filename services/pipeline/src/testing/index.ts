export { FaultyStore, type WriteFault, type InsertRecord } from './faulty-store.js';
