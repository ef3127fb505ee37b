/**
 * Credential-theft families: an injected agent makes its diagnostics tool fetch a managed-identity
 * token from the instance metadata service or the wireserver and use it (imds); and an agent's
 * built-in code tool (a function tool, no MCP) reads the pod's service-account token and calls the
 * API server (sa-token), next to a benign MCP server whose job is exactly that.
 */
import { agent, mcpServer } from '../agents.ts';
import { conversationId, turn, type CallWindow, type ToolCall } from '../turn.ts';
import { promptAlert, PROMPT_ALERTS } from '../promptAlert.ts';
import { agentTurns, routineAgent, runRoutine, withExtras } from '../benign/agents.ts';
import { privateIp, publicIp } from '../world.ts';
import { attackLabels, attackProcess, attackStart, type Family } from './attack.ts';
import { defenderContainerAlert, defenderControlPlaneAlert } from './defenderAlerts.ts';
import { falcoAlert, kubescapeAlert } from './sensorAlerts.ts';

/** A diagnostics tool fetches a metadata-service or wireserver token and uses it. */
export const imds: Family = {
  name: 'imds',
  summary:
    'injected agent makes a diagnostics tool fetch a managed-identity token from IMDS or the wireserver, then uses it',
  minutes: [30, 42],
  build(sim, id) {
    const r = sim.rng;
    const victim = routineAgent(sim, r.pick(['devops', 'support', 'travel'] as const));
    const namespace = victim.agent.pods[0]!.namespace;
    const diag = mcpServer(sim, {
      name: r.pick(['diag-tools', 'net-diag', 'http-tools']),
      namespace,
      replicas: r.int(1, 2),
    });
    const tool = r.pick(['check_endpoint', 'http_get', 'run_diagnostics']);
    const internal: [string, number] = [privateIp(r), r.pick([8080, 443, 9090])];
    runRoutine(sim, victim, sim.start, sim.end, {
      calls: withExtras(sim, victim.calls, [
        {
          p: 0.4,
          call: () => ({
            tool,
            server: diag,
            activity: (c) => sim.connect(c.server, c.start + r.int(5, 50), internal[0], internal[1], 'benign'),
          }),
        },
      ]),
    });
    const L = attackLabels(id());
    const at = attackStart(sim, 8 * 60_000);
    const wire = r.chance(0.25);
    const target = wire
      ? {
          ip: '168.63.129.16',
          port: r.pick([80, 32526]),
          cmd: `-s -H x-ms-version:2012-11-30 http://168.63.129.16/machine?comp=goalstate`,
        }
      : {
          ip: '169.254.169.254',
          port: 80,
          cmd: `-s -H Metadata:true http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://${r.pick(['management.azure.com', 'vault.azure.net', 'storage.azure.com'])}/`,
        };
    const arm = publicIp(r, 'azure');
    const exfil = publicIp(r, 'attacker');
    const calls: ToolCall[] = [
      {
        tool,
        server: diag,
        duration: r.int(400, 1_500),
        activity: (c) => {
          if (r.chance(0.35)) {
            sim.connect(c.server, c.start + r.int(5, 40), target.ip, target.port, L.fact);
            return;
          }
          const curl = sim.world.proc(c.pod, '/usr/bin/curl', target.cmd, c.start + r.int(5, 40), c.server);
          attackProcess(sim, L, curl, [{ at: r.int(5, 30), connect: [target.ip, target.port] }], r.int(100, 600));
          if (r.chance(0.7))
            defenderContainerAlert(sim, 'K8S.NODE_ImdsCall', curl, curl.start + r.int(5, 300), L.fact, {
              ips: [target.ip],
            });
          if (r.chance(0.5))
            sim.falco(
              falcoAlert('Contact cloud metadata service from container', curl, curl.start + r.int(5, 30), {
                ip: target.ip,
                port: target.port,
              }),
              L.fact,
            );
        },
      },
      {
        tool,
        server: diag,
        duration: r.int(300, 1_500),
        // The stolen token at work: the management API, then (sometimes) out to the attacker.
        activity: (c) => {
          sim.connect(c.server, c.start + r.int(5, 40), arm, 443, L.fact);
          if (r.chance(0.5)) sim.connect(c.server, c.start + r.int(60, 200), exfil, 443, L.fact);
        },
      },
    ];
    const pod = r.pick(victim.agent.pods);
    const result = turn(sim, victim.agent, pod, {
      start: at,
      conversationId: conversationId(sim),
      calls,
      label: L.fact,
    });
    if (r.chance(0.6)) promptAlert(sim, victim.agent, result, L.fact, PROMPT_ALERTS[2]);
    return [
      { id: L.id, family: this.name, summary: `${diag.name} fetched a token from ${target.ip} and called ${arm}` },
    ];
  },
};

/** A function tool reads the service-account token and calls the API server. */
export const saToken: Family = {
  name: 'sa-token',
  summary: "agent's built-in code tool reads the service-account token and calls the Kubernetes API server",
  minutes: [30, 42],
  build(sim, id) {
    const r = sim.rng;
    // The benign twin: an ops agent whose MCP server reads its token and calls the API server on every call.
    const ops = routineAgent(sim, 'devops');
    runRoutine(sim, ops, sim.start, sim.end);
    const a = agent(sim, {
      name: r.pick(['analytics-agent', 'math-tutor', 'quant-assistant', 'calc-agent']),
      namespace: r.pick(['agents', 'ai', 'copilots']),
      replicas: r.int(1, 2),
    });
    const tool = r.pick(['python_exec', 'run_python', 'code_interpreter']);
    const db: [string, number] = [privateIp(r), 5432];
    const compute = (label: 'benign') => (c: CallWindow) => {
      const p = sim.world.proc(
        c.pod,
        '/usr/local/bin/python3',
        `-c "import math; print(sum(math.sqrt(i) for i in range(${r.int(1000, 99999)})))"`,
        c.start + r.int(5, 40),
        c.server,
      );
      sim.run(p, label, { lifetime: Math.max(30, c.end - p.start - 5) });
    };
    agentTurns(sim, a, sim.start, sim.end, {
      db,
      calls: () => [{ tool, duration: r.int(200, 1_500), activity: compute('benign') }],
    });
    const L = attackLabels(id());
    const at = attackStart(sim, 8 * 60_000);
    const token = '/var/run/secrets/kubernetes.io/serviceaccount/token';
    const api = r.chance(0.7) ? '10.0.0.1' : privateIp(r);
    const calls: ToolCall[] = [
      {
        tool,
        duration: r.int(1_500, 4_000),
        activity: (c) => {
          const py = sim.world.proc(
            c.pod,
            '/usr/local/bin/python3',
            `-c "import os; os.system('curl -sk -H \\"Authorization: Bearer $(cat ${token})\\" https://kubernetes.default.svc/api/v1/namespaces/kube-system/secrets')"`,
            c.start + r.int(5, 40),
            c.server,
          );
          const sh = sim.world.proc(
            c.pod,
            '/bin/sh',
            `-c "curl -sk -H \\"Authorization: Bearer $(cat ${token})\\" https://kubernetes.default.svc/api/v1/namespaces/kube-system/secrets"`,
            py.start + r.int(20, 60),
            py,
          );
          const cat = sim.world.proc(c.pod, '/bin/cat', token, sh.start + r.int(1, 5), sh);
          const catEnd = attackProcess(sim, L, cat, [{ at: r.int(1, 3), read: token }], r.int(3, 20));
          const curl = sim.world.proc(
            c.pod,
            '/usr/bin/curl',
            `-sk -H "Authorization: Bearer <token>" https://kubernetes.default.svc/api/v1/namespaces/kube-system/secrets`,
            catEnd + r.int(1, 5),
            sh,
          );
          const curlEnd = attackProcess(sim, L, curl, [{ at: r.int(10, 40), connect: [api, 443] }], r.int(200, 900));
          const shEnd = attackProcess(sim, L, sh, [], curlEnd - sh.start + r.int(1, 5));
          attackProcess(sim, L, py, [], shEnd - py.start + r.int(1, 10));
          sim.kubescape([kubescapeAlert('R0006', cat, cat.start + 2, { path: token })], L.fact);
          sim.kubescape([kubescapeAlert('R0007', curl, curl.start + 15, { ip: api, port: 443 })], L.fact);
          if (r.chance(0.6))
            sim.falco(
              falcoAlert('Contact K8S API Server From Container', curl, curl.start + r.int(10, 40), {
                ip: api,
                port: 443,
              }),
              L.fact,
            );
          if (r.chance(0.5))
            defenderControlPlaneAlert(
              sim,
              c.pod,
              curl.start + r.int(100, 2_000),
              L.fact,
              'list secrets in kube-system',
            );
          if (r.chance(0.4))
            defenderContainerAlert(sim, 'K8S.NODE_KubernetesAPI', curl, curl.start + r.int(20, 400), L.fact, {
              ips: [api],
            });
        },
      },
    ];
    const pod = r.pick(a.pods);
    const result = turn(sim, a, pod, { start: at, conversationId: conversationId(sim), calls, label: L.fact });
    if (r.chance(0.5)) promptAlert(sim, a, result, L.fact);
    return [
      {
        id: L.id,
        family: this.name,
        summary: `${a.name}'s ${tool} read the service-account token and called ${api}:443`,
      },
    ];
  },
};
