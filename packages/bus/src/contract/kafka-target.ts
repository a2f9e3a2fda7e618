/**
 * Where the Kafka tests find a broker: KAFKA_BROKERS when set, else a throwaway one in a
 * container (testcontainers) when a container runtime answers, else nowhere, with the reason.
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
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    return {
      skip: `no KAFKA_BROKERS and no container runtime (${(error as Error).message})`,
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
