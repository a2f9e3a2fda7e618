/**
 * Starts the local Kafka broker (broker.mjs) for the test run, unless KAFKA_BROKERS names one.
 * It starts in the background so that suites without Kafka do not wait for it; the Kafka
 * suites wait through findKafka() (@rapport/bus/testing), which reads the state file named
 * by RAPPORT_TEST_KAFKA_STATE: `{"brokers":[…]}` once it listens, `{"error":"…"}` if it
 * could not start (those suites then fail). Only when this machine cannot run the broker at
 * all (no Java, or no Maven and nothing cached) is RAPPORT_TEST_KAFKA_SKIP set to the reason,
 * and the suites skip with it. RAPPORT_TEST_KAFKA=off skips them on purpose.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fetchBroker, startBroker, whyNoBroker } from './broker.mjs';

export default async function setup() {
  if (process.env.KAFKA_BROKERS) return undefined;
  if (process.env.RAPPORT_TEST_KAFKA === 'off') {
    process.env.RAPPORT_TEST_KAFKA_SKIP = 'RAPPORT_TEST_KAFKA=off';
    return undefined;
  }
  const reason = whyNoBroker();
  if (reason) {
    process.env.RAPPORT_TEST_KAFKA_SKIP = reason;
    return undefined;
  }
  // The first run fetches the jars (tens of seconds); later runs find them cached.
  await fetchBroker({ quiet: true }).catch(() => undefined);
  const stateDir = mkdtempSync(join(tmpdir(), 'rapport-kafka-state-'));
  const stateFile = join(stateDir, 'state.json');
  process.env.RAPPORT_TEST_KAFKA_STATE = stateFile;
  // Written whole, then renamed: a reader never sees half of it.
  const publish = (state) => {
    writeFileSync(`${stateFile}.tmp`, JSON.stringify(state));
    renameSync(`${stateFile}.tmp`, stateFile);
  };
  const started = startBroker({ quiet: true }).then(
    (broker) => {
      publish({ brokers: broker.brokers });
      return broker;
    },
    (error) => {
      publish({ error: String(error?.message ?? error) });
      return undefined;
    },
  );
  return async function teardown() {
    const broker = await started;
    await broker?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
}
