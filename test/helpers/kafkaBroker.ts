/**
 * A real single-node Apache Kafka broker (KRaft, combined broker + controller) for tests and the
 * bench: jars from Maven Central (test/helpers/kafka/pom.xml, resolved once into the local Maven
 * repository; the classpath is cached under node_modules/.cache), loopback ports picked free, a
 * fresh log directory formatted with StorageTool, a bounded start-up wait that fails with the
 * broker's own log, and a stop that always ends the JVM.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { repoPath } from '../../src/repoPath.ts';

// From the repository root, so the bench's compiled copy (dist/test/helpers) finds them too.
const POM = repoPath('test', 'helpers', 'kafka', 'pom.xml');
const CACHE = repoPath('node_modules', '.cache', 'causeway-kafka');
const START_TIMEOUT_MS = 120_000;

export interface KafkaBroker {
  /** host:port of the PLAINTEXT listener. */
  brokers: string[];
  logFile: string;
  stop(): Promise<void>;
}

/** The broker's classpath, resolved with Maven once per pom version. */
export function kafkaClasspath(): string {
  const pom = readFileSync(POM);
  const file = join(CACHE, `classpath-${createHash('sha256').update(pom).digest('hex').slice(0, 12)}.txt`);
  if (existsSync(file)) {
    const cp = readFileSync(file, 'utf8').trim();
    if (cp.split(':').every((jar) => existsSync(jar))) return cp;
  }
  mkdirSync(CACHE, { recursive: true });
  for (const tool of ['java', 'mvn']) {
    try {
      execFileSync(tool, ['-version'], { stdio: 'ignore' });
    } catch {
      throw new Error(
        `The Kafka tests need ${tool} on PATH (Java 17+ and Maven): apt-get install -y openjdk-17-jre-headless maven (.ci/run does this)`,
      );
    }
  }
  try {
    execFileSync('mvn', ['-q', '-B', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${file}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
    });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(
      `Resolving the Kafka broker jars from Maven Central failed: ${err.message}\n${String(err.stdout ?? '').slice(-2000)}${String(err.stderr ?? '').slice(-2000)}`,
    );
  }
  return readFileSync(file, 'utf8').trim();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * `throughput: true` (the bench) runs the JVM with its full JIT and a parallel collector; tests
 * take the quick-starting client compiler.
 */
export async function startKafkaBroker(
  options: { partitions?: number; throughput?: boolean } = {},
): Promise<KafkaBroker> {
  const cp = kafkaClasspath();
  const dir = mkdtempSync(join(tmpdir(), 'causeway-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const properties = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(dir, 'data')}`,
    `num.partitions=${options.partitions ?? 4}`,
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'group.initial.rebalance.delay.ms=0',
    'group.min.session.timeout.ms=3000',
    'auto.create.topics.enable=false',
    'log.retention.check.interval.ms=3600000',
  ].join('\n');
  writeFileSync(join(dir, 'server.properties'), properties + '\n');
  writeFileSync(
    join(dir, 'log4j.properties'),
    [
      'log4j.rootLogger=WARN, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${join(dir, 'broker.log')}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.BrokerServer=INFO',
    ].join('\n') + '\n',
  );
  const tuning = options.throughput
    ? ['-Xms1g', '-Xmx1g', '-XX:+UseG1GC']
    : ['-Xms256m', '-Xmx768m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
  const jvm = [...tuning, `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`, '-cp', cp];
  const clusterId = randomBytes(16).toString('base64url');
  execFileSync(
    'java',
    [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(dir, 'server.properties')],
    { stdio: 'ignore', timeout: 60_000 },
  );

  const logFile = join(dir, 'broker.log');
  const child: ChildProcess = spawn('java', [...jvm, 'kafka.Kafka', join(dir, 'server.properties')], {
    stdio: 'ignore',
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));

  const brokers = [`127.0.0.1:${port}`];
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited !== undefined)
      throw new Error(`The Kafka broker exited with code ${exited} during start-up:\n${tail(logFile)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `The Kafka broker did not answer on ${brokers[0]} within ${START_TIMEOUT_MS / 1000} s:\n${tail(logFile)}`,
      );
    }
    const admin = new Kafka({
      brokers,
      clientId: 'broker-probe',
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.disconnect();
      break;
    } catch {
      await admin.disconnect().catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  return {
    brokers,
    logFile,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (exited === undefined) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-30).join('\n') : '(no broker log)';
}
