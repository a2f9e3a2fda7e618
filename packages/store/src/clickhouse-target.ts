/**
 * Where the ClickHouse-server tests find a server: CLICKHOUSE_URL when set (with
 * CLICKHOUSE_USER / CLICKHOUSE_PASSWORD), else a throwaway one in a container when a container
 * runtime answers, else nowhere, with the reason.
 */
export interface ClickHouseTarget {
  skip: string | undefined;
  server(): Promise<{ url: string; username: string; password: string }>;
  stop(): Promise<void>;
}

const IMAGE = 'clickhouse/clickhouse-server:26.7';

export async function findClickHouse(): Promise<ClickHouseTarget> {
  const url = process.env.CLICKHOUSE_URL;
  if (url) {
    const server = {
      url,
      username: process.env.CLICKHOUSE_USER ?? 'default',
      password: process.env.CLICKHOUSE_PASSWORD ?? '',
    };
    return { skip: undefined, server: () => Promise.resolve(server), stop: async () => {} };
  }
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    return {
      skip: `no CLICKHOUSE_URL and no container runtime (${(error as Error).message})`,
      server: () => Promise.reject(new Error('no ClickHouse server here')),
      stop: async () => {},
    };
  }
  let started:
    | Promise<{ url: string; username: string; password: string; stop: () => Promise<unknown> }>
    | undefined;
  return {
    skip: undefined,
    server: async () => {
      started ??= (async () => {
        const { GenericContainer, Wait } = await import('testcontainers');
        const container = await new GenericContainer(IMAGE)
          .withEnvironment({
            CLICKHOUSE_USER: 'rapport',
            CLICKHOUSE_PASSWORD: 'rapport',
            CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT: '1',
          })
          .withExposedPorts(8123)
          .withWaitStrategy(Wait.forHttp('/ping', 8123).forStatusCode(200))
          .start();
        return {
          url: `http://${container.getHost()}:${container.getMappedPort(8123)}`,
          username: 'rapport',
          password: 'rapport',
          stop: () => container.stop(),
        };
      })();
      const { stop: _stop, ...server } = await started;
      return server;
    },
    stop: async () => {
      if (started) await (await started).stop();
    },
  };
}
