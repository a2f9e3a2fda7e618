#!/usr/bin/env node
/**
 * Apache Kafka's own broker, single node in KRaft mode on 127.0.0.1, without Docker: for the
 * test suite and for running Rapport distributed on one machine.
 *
 *   node infra/kafka/broker.mjs fetch            copy the jars from Maven Central (once; cached)
 *   node infra/kafka/broker.mjs start [--port N] [--dir D]
 *                                                fetch if needed, start, print KAFKA_BROKERS=…,
 *                                                stop on Ctrl-C / SIGTERM
 *
 * Needs Java 17+ and, for the first fetch, Maven. The jars (kafka_2.13 and its dependencies,
 * version in pom.xml) go to infra/kafka/.cache/, which git ignores. `start` without --dir
 * keeps the broker's data in a temporary directory removed on stop; with --dir the data stays
 * (formatted on first use) and a later start finds it.
 */
import { spawn, spawnSync } from 'node:child_process';
import console from 'node:console';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const POM = join(HERE, 'pom.xml');

/** The Kafka version pom.xml asks for; the cache is kept per version. */
export function kafkaVersion() {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'));
  if (!match?.[1]) throw new Error(`no <kafka.version> in ${POM}`);
  return match[1];
}

function libsDir() {
  return join(HERE, '.cache', `kafka-${kafkaVersion()}`, 'libs');
}

/** Whether the command is there; one that is there but fails is left to fail, loudly. */
function found(command, args) {
  return spawnSync(command, args, { stdio: 'ignore' }).error === undefined;
}

/**
 * Why this machine cannot run the broker, or undefined when it can: Java always, Maven only
 * while the jars are not cached yet.
 */
export function whyNoBroker() {
  if (!found('java', ['-version']))
    return 'no Java on PATH (the local Kafka broker needs Java 17+)';
  if (!existsSync(join(libsDir(), '.complete')) && !found('mvn', ['-v'])) {
    return 'no Maven on PATH to fetch the Kafka broker (and its jars are not cached)';
  }
  return undefined;
}

/** Copies kafka_2.13 and its runtime dependencies into the cache, unless already there. */
export async function fetchBroker({ quiet = false } = {}) {
  const libs = libsDir();
  if (existsSync(join(libs, '.complete'))) return libs;
  rmSync(libs, { recursive: true, force: true });
  mkdirSync(libs, { recursive: true });
  const mvn = spawn(
    'mvn',
    [
      '-B',
      ...(quiet ? ['-q'] : []),
      '-f',
      POM,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libs}`,
      '-DincludeScope=runtime',
    ],
    { stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' },
  );
  try {
    await run(mvn);
  } catch (error) {
    throw new Error(`fetching the Kafka broker with Maven failed: ${error.message.slice(-4000)}`);
  }
  writeFileSync(join(libs, '.complete'), `${new Date().toISOString()}\n`);
  return libs;
}

/** A port nothing listens on now (the broker binds it a moment later). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function brokerConfig({ port, controllerPort, dataDir }) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    // One node: every internal topic has one replica; few partitions keep start-up quick.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Rapport creates its topics with the partitions it is told, as in production.
    'auto.create.topics.enable=false',
    // Requests as large as Rapport's request bodies (1 MiB) after its own framing.
    'message.max.bytes=4194304',
    '',
  ].join('\n');
}

function java(libs, args, options) {
  return spawn(
    'java',
    ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-cp', `${libs}/*`, ...args],
    options,
  );
}

function run(child) {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`exit ${code}: ${output.trim()}`)),
    );
  });
}

/**
 * A cluster id as Kafka makes them: 16 random bytes in URL-safe base64, never starting with
 * '-' (the storage tool would read it as an option: 1 id in 64, and the broker failed to start).
 */
export function newClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Fetches (if needed), formats and starts a broker; resolves once it accepts connections.
 * Returns its address and stop(), which ends it (SIGTERM, then SIGKILL after 15 s) and
 * removes its data unless `dir` was given.
 */
export async function startBroker({ port, dir, quiet = true } = {}) {
  const libs = await fetchBroker({ quiet });
  const keep = dir !== undefined;
  const home = keep ? dir : mkdtempSync(join(tmpdir(), 'rapport-kafka-'));
  mkdirSync(home, { recursive: true });
  const dataDir = join(home, 'data');
  const brokerPort = port ?? (await freePort());
  const controllerPort = await freePort();
  const configFile = join(home, 'server.properties');
  writeFileSync(configFile, brokerConfig({ port: brokerPort, controllerPort, dataDir }));
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    const clusterId = newClusterId();
    try {
      await run(
        java(libs, ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', configFile], {
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
    } catch (error) {
      if (!keep) rmSync(home, { recursive: true, force: true });
      throw error;
    }
  }
  const logFile = join(home, 'broker.log');
  const child = java(libs, ['kafka.Kafka', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keepLog = (chunk) => {
    log = (log + chunk).slice(-20_000);
    if (!quiet) process.stderr.write(chunk);
  };
  child.stdout.on('data', keepLog);
  child.stderr.on('data', keepLog);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  // A broker outlives no process that started it, even one that ends without stopping it.
  const orphaned = () => {
    child.kill('SIGKILL');
    if (!keep) rmSync(home, { recursive: true, force: true });
  };
  process.once('exit', orphaned);
  void exited.then(() => process.off('exit', orphaned));

  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      writeFileSync(logFile, log);
      if (!keep) rmSync(home, { recursive: true, force: true });
    })());

  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`the Kafka broker exited with code ${child.exitCode}:\n${log.slice(-4000)}`);
    }
    if (await canConnect(brokerPort)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the Kafka broker did not listen within 120 s:\n${log.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { brokers: [`127.0.0.1:${brokerPort}`], pid: child.pid, exited, stop };
}

function option(args, name) {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main(args) {
  const [command] = args;
  if (command === 'fetch') {
    const reason = whyNoBroker();
    if (reason) throw new Error(reason);
    console.log(await fetchBroker());
    return;
  }
  if (command === 'start') {
    const reason = whyNoBroker();
    if (reason) throw new Error(reason);
    const port = option(args, '--port');
    const broker = await startBroker({
      ...(port ? { port: Number(port) } : {}),
      ...(option(args, '--dir') ? { dir: option(args, '--dir') } : {}),
      quiet: !args.includes('--verbose'),
    });
    console.log(`KAFKA_BROKERS=${broker.brokers.join(',')}`);
    const stop = () => void broker.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const code = await broker.exited;
    if (code !== 0 && code !== null) process.exitCode = 1;
    return;
  }
  console.error(
    'usage: node infra/kafka/broker.mjs fetch | start [--port N] [--dir D] [--verbose]',
  );
  process.exitCode = 2;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
