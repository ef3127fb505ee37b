/**
 * Benign non-agent archetypes: long-running services whose main process predates the stream
 * (only their connections and reads appear), kubelet exec liveness probes (a shell or a binary
 * every 10–30 s), a CronJob whose every run is a new pod running a shell pipeline, a rollout whose
 * new pod runs a shell in an init container, and package installs in a notebook pod (with the
 * Falco notice they raise). Each repeats during the learning period and after it.
 */
import type { Sim, Step } from '../sim.ts';
import { privateIp, publicIp, type Pod, type Proc } from '../world.ts';

/** A service's pods and their main processes. */
export interface Service {
  pods: Pod[];
  main: Map<Pod, Proc>;
}

/** A web service with `replicas` pods: traffic to its cache/database and a public API, and probes. */
export function serviceWithProbes(
  sim: Sim,
  options: { namespace?: string; name?: string; replicas?: number } = {},
): Service {
  const r = sim.rng;
  const namespace = options.namespace ?? r.pick(['shop', 'web', 'payments', 'catalog', 'platform']);
  const name = options.name ?? r.pick(['checkout', 'cart', 'catalog', 'frontend', 'orders', 'inventory', 'pricing']);
  const runtime = r.pick([
    { binary: '/opt/java/openjdk/bin/java', args: '-XX:MaxRAMPercentage=75 -jar /app/app.jar' },
    { binary: '/usr/local/bin/node', args: '/app/server.js' },
    { binary: '/usr/local/bin/gunicorn', args: 'app.wsgi:application --bind 0.0.0.0:8080 --workers 2' },
    { binary: '/app/server', args: '--config /etc/app/config.yaml' },
  ]);
  const pods = Array.from({ length: options.replicas ?? r.int(2, 3) }, () =>
    sim.world.pod({ namespace, workload: name }),
  );
  const main = new Map(pods.map((p) => [p, sim.world.main(p, runtime.binary, runtime.args)]));
  const cache: [string, number] = [privateIp(r), r.pick([6379, 5432, 9042])];
  const api: [string, number] = [publicIp(r, r.pick(['cdn', 'saas'] as const)), 443];
  const probeShell = r.chance(0.5);
  const probeEvery = r.int(20, 60) * 1000;
  const trafficEvery = r.int(30, 90) * 1000;
  for (const pod of pods) {
    const m = main.get(pod)!;
    for (let t = sim.start + r.int(0, probeEvery); t < sim.end; t += probeEvery + r.int(-300, 300))
      probe(sim, pod, t, probeShell);
    for (let t = sim.start + r.int(0, trafficEvery); t < sim.end; t += trafficEvery + r.int(-2000, 2000)) {
      sim.connect(m, t, cache[0], cache[1], 'benign');
      if (r.chance(0.4)) sim.connect(m, t + r.int(10, 500), api[0], api[1], 'benign');
      if (r.chance(0.1))
        sim.read(
          m,
          t + r.int(10, 500),
          r.pick(['/etc/app/config.yaml', '/app/config/application.yaml', '/etc/ssl/certs/ca-certificates.crt']),
          'benign',
        );
    }
  }
  return { pods, main };
}

/** A kubelet exec probe: `sh -c "curl …"` (a shell and its child) or the binary itself. */
function probe(sim: Sim, pod: Pod, t: number, shell: boolean): void {
  const r = sim.rng;
  const url = `http://localhost:${r.pick([8080, 8080, 3000, 9000])}/healthz`;
  if (shell) {
    const sh = sim.world.proc(pod, '/bin/sh', `-c "curl -sf ${url} || exit 1"`, t);
    const curl = sim.world.proc(pod, '/usr/bin/curl', `-sf ${url}`, t + r.int(1, 4), sh);
    sim.exec(sh, 'benign', true);
    sim.run(curl, 'benign', {
      steps: [{ at: r.int(1, 5), connect: ['127.0.0.1', Number(url.split(':')[2]!.split('/')[0])] }],
      lifetime: r.int(8, 40),
    });
    sim.exit(sh, curl.start + r.int(45, 80), 'benign');
  } else {
    const wget = sim.world.proc(pod, '/usr/bin/wget', `-qO- ${url}`, t);
    sim.run(wget, 'benign', {
      steps: [{ at: r.int(1, 5), connect: ['127.0.0.1', Number(url.split(':')[2]!.split('/')[0])] }],
      lifetime: r.int(8, 40),
      probe: true,
    });
  }
}

/** A CronJob every 4–8 minutes; each run is a new pod whose shell pipeline dumps, compresses and uploads. */
export function cronJob(sim: Sim, options: { namespace?: string } = {}): void {
  const r = sim.rng;
  const namespace = options.namespace ?? r.pick(['ops', 'data', 'batch', 'platform']);
  const name = r.pick(['db-backup', 'report-export', 'nightly-sync', 'cache-warmer', 'audit-archiver']);
  const every = r.int(4, 8) * 60_000;
  const db: [string, number] = [privateIp(r), 5432];
  const storage = publicIp(r, 'azure');
  const image = `${sim.cluster.registry}/${namespace}/${name}:${r.int(1, 3)}.${r.int(0, 9)}`;
  for (let slot = sim.start + r.int(0, every); slot < sim.end - 60_000; slot += every) {
    const pod = sim.world.pod({
      namespace,
      workload: name,
      kind: 'CronJob',
      container: name,
      image,
      started: slot + r.int(800, 4000),
      cronSlot: Math.floor(slot / 60_000),
    });
    const sh = sim.world.main(
      pod,
      '/bin/sh',
      `-c "pg_dump -h $PGHOST -U backup app | gzip > /backup/app-$(date +%s).sql.gz && azcopy copy /backup/*.gz $DEST"`,
    );
    const t = sh.start;
    sim.exec(sh, 'benign');
    const dump = sim.world.proc(pod, '/usr/bin/pg_dump', '-h 10.0.0.5 -U backup app', t + r.int(2, 10), sh);
    const gzip = sim.world.proc(pod, '/bin/gzip', '', t + r.int(2, 10), sh);
    const dumpEnd = sim.run(dump, 'benign', {
      steps: [{ at: r.int(2, 20), connect: db }],
      lifetime: r.int(3_000, 20_000),
    });
    sim.run(gzip, 'benign', {
      steps: [{ at: r.int(100, 2000), write: `/backup/app-${Math.floor(t / 1000)}.sql.gz` }],
      lifetime: dumpEnd - gzip.start + r.int(5, 50),
    });
    const copy = sim.world.proc(
      pod,
      '/usr/local/bin/azcopy',
      `copy /backup/app-${Math.floor(t / 1000)}.sql.gz https://${r.hex(6)}.blob.core.windows.net/backups`,
      dumpEnd + r.int(50, 300),
      sh,
    );
    const copyEnd = sim.run(copy, 'benign', {
      steps: [{ at: r.int(20, 200), connect: [storage, 443] }],
      lifetime: r.int(1_000, 6_000),
    });
    sim.exit(sh, copyEnd + r.int(5, 50), 'benign');
  }
}

/**
 * A rollout: a new pod whose init container runs a shell (copy config, fix permissions, fetch a
 * CA bundle), then the main container starts (its exec in the stream). One during the learning
 * period, one after it.
 */
export function rolloutWithInit(sim: Sim, options: { namespace?: string } = {}): void {
  const r = sim.rng;
  const namespace = options.namespace ?? r.pick(['shop', 'web', 'platform', 'identity']);
  const name = r.pick(['accounts', 'notifications', 'search-api', 'profile-svc', 'gateway']);
  const times = [
    sim.start + r.int(60_000, 8 * 60_000),
    sim.start + r.int(20 * 60_000, Math.max(21 * 60_000, sim.end - sim.start - 6 * 60_000)),
  ];
  const caHost = publicIp(r, 'cdn');
  for (const at of times) {
    const pod = sim.world.pod({ namespace, workload: name, started: at + r.int(8_000, 20_000) });
    const init = sim.world.container(pod, 'init-config', `${sim.cluster.registry}/base/busybox:1.36`, at);
    const sh = sim.world.main(
      init,
      '/bin/sh',
      '-c "cp -r /config/* /shared/ && chmod 600 /shared/*.pem && wget -q https://pki.example.com/ca.pem -O /shared/ca.pem"',
    );
    sim.exec(sh, 'benign');
    const cp = sim.world.proc(
      init,
      '/bin/cp',
      '-r /config/app.yaml /config/tls.pem /shared/',
      sh.start + r.int(2, 20),
      sh,
    );
    const cpEnd = sim.run(cp, 'benign', {
      steps: [
        { at: 2, read: '/config/tls.pem' },
        { at: 3, write: '/shared/tls.pem' },
      ],
      lifetime: r.int(10, 60),
    });
    const chmod = sim.world.proc(init, '/bin/chmod', '600 /shared/tls.pem', cpEnd + r.int(1, 10), sh);
    const chmodEnd = sim.run(chmod, 'benign', { lifetime: r.int(2, 10) });
    const wget = sim.world.proc(
      init,
      '/bin/wget',
      '-q https://pki.example.com/ca.pem -O /shared/ca.pem',
      chmodEnd + r.int(1, 10),
      sh,
    );
    const wgetEnd = sim.run(wget, 'benign', {
      steps: [
        { at: r.int(5, 50), connect: [caHost, 443] },
        { at: r.int(200, 600), write: '/shared/ca.pem' },
      ],
      lifetime: r.int(600, 2_000),
    });
    sim.exit(sh, wgetEnd + r.int(2, 20), 'benign');
    const app = sim.world.main(pod, '/app/server', '--config /shared/app.yaml');
    sim.exec(app, 'benign');
    sim.read(app, app.start + r.int(20, 200), '/shared/app.yaml', 'benign');
    sim.read(app, app.start + r.int(200, 400), '/shared/tls.pem', 'benign');
  }
}

/**
 * A data-science notebook pod where someone installs packages twice (pip through a terminal
 * shell): many connections to the package index, and Falco's notice about package management.
 */
export function packageInstalls(sim: Sim, options: { namespace?: string } = {}): void {
  const r = sim.rng;
  const namespace = options.namespace ?? r.pick(['notebooks', 'data-science', 'ml']);
  const pod = sim.world.pod({
    namespace,
    workload: r.pick(['jupyter', 'notebook', 'lab']),
    kind: 'StatefulSet',
    container: 'notebook',
  });
  const jupyter = sim.world.main(pod, '/opt/conda/bin/python3', '/opt/conda/bin/jupyter-lab --ip=0.0.0.0 --port=8888', {
    uid: 1000,
    cwd: '/home/jovyan',
  });
  const times = [
    sim.start + r.int(2 * 60_000, 8 * 60_000),
    sim.start + r.int(18 * 60_000, Math.max(19 * 60_000, sim.end - sim.start - 4 * 60_000)),
  ];
  const index = [publicIp(r, 'pypi'), publicIp(r, 'pypi')];
  for (const at of times) {
    const bash = sim.world.proc(pod, '/bin/bash', '-l', at, jupyter);
    sim.exec(bash, 'benign');
    const pkg = r.pick([
      'pandas==2.2.3 pyarrow',
      'scikit-learn',
      'torch --index-url https://download.pytorch.org/whl/cpu',
      'httpx rich',
    ]);
    const pip = sim.world.proc(pod, '/opt/conda/bin/python3', `-m pip install ${pkg}`, at + r.int(3_000, 20_000), bash);
    const steps: Step[] = Array.from({ length: r.int(3, 8) }, (_, i) => ({
      at: 200 + i * r.int(300, 1500),
      connect: [r.pick(index), 443],
    }));
    steps.push({
      at: 200 + steps.length * 1500,
      write: `/opt/conda/lib/python3.11/site-packages/${pkg.split(/[= ]/)[0]}/__init__.py`,
    });
    const pipEnd = sim.run(pip, 'benign', { steps, lifetime: r.int(10_000, 40_000) });
    sim.falco(
      {
        rule: 'Launch Package Management Process in Container',
        priority: 'Notice',
        at: pip.start + r.int(1, 20),
        proc: pip,
        tags: ['container', 'maturity_sandbox', 'mitre_persistence', 'process', 'software_mgmt', 'T1505'],
        message: 'Package management process launched in container',
        fields: { 'evt.type': 'execve' },
      },
      'benign',
    );
    sim.exit(bash, pipEnd + r.int(30_000, 120_000), 'benign');
  }
}
