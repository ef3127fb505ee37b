/**
 * The commands: usage, help and options of each, and a thin `run` that hands the parsed flags to
 * the command's module (loaded only when that command runs, so `causeway report` never loads
 * kafkajs and `causeway replay` never loads the viewer).
 */
import { COMMON_HELP, flagsOf, stringFlag, UsageError, type OptionSpec, type Parsed } from './flags.ts';

export interface Command {
  summary: string;
  usage: string;
  help: string;
  options?: OptionSpec;
  run(args: Parsed & { env: Record<string, string | undefined> }): Promise<number>;
}

const configFile = (values: Parsed['values']) => stringFlag(values, 'config');

export const COMMANDS: Record<string, Command> = {
  replay: {
    summary: 'Run the whole pipeline over files and write the tables (or to Log Analytics).',
    usage: '<files...> [--out <dir>] [options]',
    help: `Reads JSON, JSON Lines and .gz files of any supported format (detected per record), runs the
whole pipeline in one process and writes the tables to --out (replaced, not appended). With
--logs-ingestion-endpoint and --dcr (or their environment variables) the tables go to Log Analytics
instead and --out is not needed. A bad record is dead-lettered, never fatal.

Options:
  --out <dir>                     Where the table files go (local tables)
${COMMON_HELP}`,
    options: { out: { type: 'string' } },
    async run({ values, positionals, env }) {
      if (!positionals.length) throw new UsageError('replay needs at least one input file');
      const { replay } = await import('./replay.ts');
      return replay({
        files: positionals,
        out: stringFlag(values, 'out'),
        configFile: configFile(values),
        flags: flagsOf(values),
        env,
      });
    },
  },
  serve: {
    summary: 'Run the local pipeline as a service on 127.0.0.1 (default port 8787), with the viewer.',
    usage: '[--port <n>] [--host <addr>] [--data-dir <dir>] [--no-demo] [--brokers <list>] [options]',
    help: `Ingest endpoints for each sensor, the story viewer on /, counters on /healthz; tables under
<data-dir>/tables, state under <data-dir>/state. Replays the bundled demo at start (--no-demo skips it).
With --brokers it also consumes the raw Kafka topics. SIGINT/SIGTERM flush everything and save state.

Options:
  --port <n> --host <addr>        Where to listen (serve.port, serve.host)
  --data-dir <dir>                Tables and state (dataDir)
  --no-demo                       Do not replay the bundled demo
  --brokers <host:port,...>       Also consume the raw Kafka topics (CAUSEWAY_KAFKA_BROKERS)
${COMMON_HELP}`,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'no-demo': { type: 'boolean' },
      brokers: { type: 'string' },
    },
    async run({ values, env }) {
      const { serve } = await import('./serve.ts');
      return serve({ configFile: configFile(values), flags: flagsOf(values), env });
    },
  },
  run: {
    summary: 'Run the stages as Kafka consumer groups (Apache Kafka or the Event Hubs Kafka endpoint).',
    usage: '[--stages ingest,workload,story] [--brokers <list>] [--port <n>] [options]',
    help: `Each stage is a consumer group; more processes with the same configuration scale out and fail
over. GET /healthz answers on serve.host:serve.port.

Options:
  --stages <list>                 A comma-separated subset of ingest,workload,story (default all)
  --brokers <host:port,...>       Kafka bootstrap brokers (CAUSEWAY_KAFKA_BROKERS)
  --port <n> --host <addr>        Where GET /healthz answers
  --data-dir <dir>                Local state (kafka.stateDir defaults to <data-dir>/state)
${COMMON_HELP}`,
    options: {
      stages: { type: 'string' },
      brokers: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    async run({ values, env }) {
      const { run, parseStages } = await import('./run.ts');
      const stages = parseStages(stringFlag(values, 'stages'));
      return run({ configFile: configFile(values), flags: flagsOf(values), env, stages });
    },
  },
  flush: {
    summary: 'Put an end-of-input marker on every raw Kafka topic partition.',
    usage: '[--brokers <list>] [options]',
    help: `Parked events are released and held story updates written once every workload partition has
the marker from every input partition.

Options:
  --brokers <host:port,...>       Kafka bootstrap brokers (CAUSEWAY_KAFKA_BROKERS)
${COMMON_HELP}`,
    options: { brokers: { type: 'string' } },
    async run({ values, env }) {
      const { flush } = await import('./run.ts');
      return flush({ configFile: configFile(values), flags: flagsOf(values), env });
    },
  },
  report: {
    summary: 'One self-contained HTML file of the stories in a tables directory.',
    usage: '<tables-dir> --html <file>',
    help: `The tables directory is the --out of replay, or <data-dir>/tables of serve. The file has no
scripts and loads nothing, so it opens offline.

Options:
  --html <file>                   Where the report goes`,
    options: { html: { type: 'string' } },
    async run({ values, positionals }) {
      if (positionals.length !== 1)
        throw new UsageError('report needs one tables directory (the --out of replay, or <data-dir>/tables)');
      const html = stringFlag(values, 'html');
      if (!html) throw new UsageError('report needs --html <file>');
      const { report } = await import('./report.ts');
      return report(positionals[0]!, html);
    },
  },
  profile: {
    summary: 'Draft (audit) policies from Kubescape profiles or learned ones.',
    usage:
      'export --format networkpolicy|ciliumnetworkpolicy|seccomp --from <file|dir>... [--workload [ns/]name] [--container c] [--out file]',
    help: `A source is a Kubescape ApplicationProfile / NetworkNeighborhood file (YAML or JSON) or a tables
directory (the latest CausewayProfiles_CL snapshot per profile). One draft per workload container,
after a summary comment (all of them unless --workload / --container pick some); a workload that
made no egress gets a deny-all egress policy (kube-dns allowed only if it resolved names).

Options:
  --format <kind>                 networkpolicy, ciliumnetworkpolicy or seccomp
  --from <file|dir>               A profile source (repeatable)
  --workload [ns/]name            Only this workload
  --container <name>              Only this container
  --out <file>                    Write to a file instead of standard output
${COMMON_HELP}`,
    options: {
      format: { type: 'string' },
      from: { type: 'string', multiple: true },
      workload: { type: 'string' },
      container: { type: 'string' },
      out: { type: 'string' },
    },
    async run({ values, positionals, env }) {
      if (positionals[0] !== 'export') throw new UsageError('profile takes one subcommand: export');
      const { profileExport } = await import('./profile.ts');
      const { loadConfig } = await import('../config/config.ts');
      const { config } = loadConfig({ file: configFile(values), env, flags: flagsOf(values) });
      return profileExport({
        format: stringFlag(values, 'format') ?? '',
        from: (values.from as string[] | undefined) ?? [],
        workload: stringFlag(values, 'workload'),
        container: stringFlag(values, 'container'),
        out: stringFlag(values, 'out'),
        cluster: config.cluster,
        classes: config.profiles.classes,
      });
    },
  },
  policy: {
    summary: 'Check draft policies against what was observed, and graduate them to enforcing.',
    usage: 'check|graduate <draft.yaml> --against <tables dir | replay files>... [--min-window 7d] [--out file]',
    help: `check: every observed flow (connections, DNS lookups, HTTP calls, syscalls) the drafts would deny,
with its evidence (workload, process, destination, time, the story it belongs to); exit 0 when
nothing benign would be denied, 1 when something would, 2 for a bad draft or option.
graduate: the enforcing version (audit annotations removed, SCMP_ACT_ERRNO default for seccomp,
Cilium policy without audit mode), written only when the check is clean over at least --min-window
of observations; otherwise it says why not.

Options:
  --against <dir|files...>        A tables directory, or replay files (repeatable)
  --min-window <duration>         graduate: observations needed, e.g. 7d (default), 36h
  --out <file>                    graduate: where the enforcing policy goes (default standard output)
${COMMON_HELP}`,
    options: {
      against: { type: 'string', multiple: true },
      'min-window': { type: 'string' },
      out: { type: 'string' },
    },
    async run({ values, positionals, env }) {
      const sub = positionals[0];
      if (sub !== 'check' && sub !== 'graduate') throw new UsageError('policy takes a subcommand: check or graduate');
      if (positionals.length < 2)
        throw new UsageError(`policy ${sub} needs the draft file (what profile export wrote)`);
      const { policyCheck, policyGraduate } = await import('./policy.ts');
      const common = {
        draft: positionals[1]!,
        // `--against a b c`: the files after the first --against come as positionals.
        against: [...((values.against as string[] | undefined) ?? []), ...positionals.slice(2)],
        configFile: configFile(values),
        flags: flagsOf(values),
        env,
      };
      if (sub === 'check') return policyCheck(common);
      return policyGraduate({ ...common, minWindow: stringFlag(values, 'min-window'), out: stringFlag(values, 'out') });
    },
  },
  inventory: {
    summary: 'The runtime AI-BOM: agents, models, MCP servers, tools and AI endpoints observed.',
    usage: '--from <tables dir> [--format table|cyclonedx] [--out <file>]',
    help: `Reads CausewayInventory_CL of a tables directory (the latest row per component) and prints it as a
table, or as a CycloneDX 1.6 JSON document (models as machine-learning-model components; agents, MCP
servers with their tools, and AI endpoints as services).

Options:
  --from <dir>                    A tables directory (the --out of replay, or <data-dir>/tables of serve)
  --format <kind>                 table (default) or cyclonedx
  --out <file>                    Write to a file instead of standard output
${COMMON_HELP}`,
    options: { from: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } },
    async run({ values }) {
      const { inventoryCommand } = await import('./inventory.ts');
      return inventoryCommand({
        from: stringFlag(values, 'from'),
        format: stringFlag(values, 'format'),
        out: stringFlag(values, 'out'),
      });
    },
  },
  posture: {
    summary: 'Declared vs observed: role assignments of workload identities against what they were seen doing.',
    usage: '--role-assignments <file>... --from <tables dir> [--since 7d|<ISO time>] [--json]',
    help: `Reads role assignment exports (az role assignment list --assignee <clientId> --all -o json) and the
cloud usage profiles of a tables directory (what each workload identity was seen doing in Entra sign-ins
and Key Vault audit logs), and prints per identity each assignment as used (with the operations under its
scope), unused, or not observed (its operations are in no Causeway input), with a proposal: keep, narrow
the scope to the resources used, or remove. A proposal to review; nothing is applied.

Options:
  --role-assignments <file>       An az role assignment list export (repeatable)
  --from <dir>                    A tables directory (the --out of replay, or <data-dir>/tables of serve)
  --since <duration|time>         Only what was seen since: back from the newest observation (7d, 36h) or an ISO time
  --json                          The result as JSON`,
    options: {
      'role-assignments': { type: 'string', multiple: true },
      from: { type: 'string' },
      since: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run({ values }) {
      const { postureCommand } = await import('./posture.ts');
      return postureCommand({
        roleAssignments: (values['role-assignments'] as string[] | undefined) ?? [],
        from: stringFlag(values, 'from'),
        since: stringFlag(values, 'since'),
        json: values.json === true,
      });
    },
  },
  rules: {
    summary: 'Validate signal rule packs.',
    usage: 'check [files...]',
    help: 'Loads each rule pack (the default pack when none is given) and reports errors with a code, a file and a line.',
    async run({ positionals }) {
      const { rulesCheck } = await import('./rulesCheck.ts');
      return rulesCheck(positionals.slice(positionals[0] === 'check' ? 1 : 0));
    },
  },
};
