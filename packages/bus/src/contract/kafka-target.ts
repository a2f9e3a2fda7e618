import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Where the Kafka tests find a broker: KAFKA_BROKERS when set; else the local broker the test
 * run starts (infra/kafka/vitest-global-setup.mjs: Apache Kafka on 127.0.0.1, fetched from
 * Maven Central), which they wait for and fail without if it could not start; else, when the
 * machine has no Java (or no Maven and no cached jars), a throwaway broker in a container if a
 * container runtime answers; else nowhere, with the reason.
 */
export interface KafkaTarget {
  /** Why the Kafka tests cannot run here; undefined when they can. */
  skip: string | undefined;
  /** Resolves the brokers, starting a container if needed. */
  brokers(): Promise<string[]>;
  stop(): Promise<void>;
}

/** A Confluent image recent enough for KRaft; testcontainers' Kafka module knows its layout. */
const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.7.1';

export async function findKafka(): Promise<KafkaTarget> {
  const configured = process.env.KAFKA_BROKERS;
  if (configured) {
    const brokers = configured.split(',').map((broker) => broker.trim());
    return { skip: undefined, brokers: () => Promise.resolve(brokers), stop: async () => {} };
  }
  const stateFile = process.env.RAPPORT_TEST_KAFKA_STATE;
  if (stateFile) {
    // Waited for here, while the test file loads, so that no test's timeout runs meanwhile.
    const local = await localBroker(stateFile).then(
      (brokers) => () => Promise.resolve(brokers),
      (error: Error) => () => Promise.reject(error),
    );
    return { skip: undefined, brokers: local, stop: async () => {} };
  }
  const noLocalBroker = process.env.RAPPORT_TEST_KAFKA_SKIP ?? 'the test run started no broker';
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    return {
      skip: `no KAFKA_BROKERS, no local broker (${noLocalBroker}) and no container runtime (${(error as Error).message})`,
      brokers: () => Promise.reject(new Error('no Kafka here')),
      stop: async () => {},
    };
  }
  let started: Promise<{ brokers: string[]; stop: () => Promise<unknown> }> | undefined;
  return {
    skip: undefined,
    brokers: async () => {
      started ??= (async () => {
        const { KafkaContainer } = await import('@testcontainers/kafka');
        const container = await new KafkaContainer(KAFKA_IMAGE).withKraft().start();
        return {
          brokers: [`${container.getHost()}:${container.getMappedPort(9093)}`],
          stop: () => container.stop(),
        };
      })();
      return (await started).brokers;
    },
    stop: async () => {
      if (started) await (await started).stop();
    },
  };
}

/** The first fetch of the broker's jars can take minutes; starting it takes seconds. */
const LOCAL_BROKER_WAIT_MS = 10 * 60_000;

/** Waits for the local broker the test run is starting; throws when it could not start. */
async function localBroker(stateFile: string): Promise<string[]> {
  const deadline = performance.now() + LOCAL_BROKER_WAIT_MS;
  while (!existsSync(stateFile)) {
    if (performance.now() > deadline) throw new Error('the local Kafka broker did not start');
    await sleep(200);
  }
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
    brokers?: string[];
    error?: string;
  };
  if (!state.brokers) throw new Error(`the local Kafka broker did not start: ${state.error}`);
  return state.brokers;
}
