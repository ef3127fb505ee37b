/**
 * Builders that emit each product's real wire format (Tetragon JSON export, OTLP/JSON,
 * Defender continuous export, Kubescape RuntimeAlerts, Falcosidekick), for the demo scenario,
 * the golden scenario tests and the benchmarks. Shapes follow reference/ and samples/.
 */
export * from './builders/cast.ts';
export * from './builders/tetragon.ts';
export * from './builders/otlp.ts';
export * from './builders/alerts.ts';
