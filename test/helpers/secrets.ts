/**
 * One planted secret of every kind the redactor knows (transforms/redact.ts), each carrying a
 * marker no legitimate output holds. A test plants them into records and then searches every
 * output for the markers, case-insensitively (a decoder that upper-cases a field must not turn a
 * secret into a shape the redactor misses).
 */

export interface PlantedSecret {
  /** The redactor's tag for this kind. */
  kind: string;
  /** The text planted. */
  text: string;
  /** Parts of it that must appear nowhere in any output. */
  markers: string[];
}

export const SECRETS: readonly PlantedSecret[] = [
  {
    kind: 'private-key',
    text: '-----BEGIN RSA PRIVATE KEY-----\nMIIEplantedPrivateKeyBody0001xyz\n-----END RSA PRIVATE KEY-----',
    markers: ['plantedPrivateKeyBody0001'],
  },
  {
    kind: 'azure-storage-connection-string',
    text: 'DefaultEndpointsProtocol=https;AccountName=plantedacct;AccountKey=c3RvcmFnZWtleXBsYW50ZWQwMDAy+abc=;EndpointSuffix=core.windows.net',
    markers: ['c3RvcmFnZWtleXBsYW50ZWQwMDAy'],
  },
  {
    kind: 'azure-servicebus-connection-string',
    text: 'Endpoint=sb://planted.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=c2VydmljZWJ1c2tleXBsYW50ZWQwMDAz=',
    markers: ['c2VydmljZWJ1c2tleXBsYW50ZWQwMDAz'],
  },
  {
    kind: 'azure-account-key',
    text: 'AccountKey=YWNjb3VudGtleXBsYW50ZWQwMDA0YWNjb3VudGtleQ==',
    markers: ['YWNjb3VudGtleXBsYW50ZWQwMDA0'],
  },
  {
    kind: 'azure-sas-token',
    text: 'https://plantedacct.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&se=2026-12-01T00:00:00Z&sig=c2FzdG9rZW5wbGFudGVkMDAwNQ%3D%3D',
    markers: ['c2FzdG9rZW5wbGFudGVkMDAwNQ'],
  },
  {
    kind: 'jwt',
    text: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkMDAwNiJ9.cGxhbnRlZGp3dHNpZzAwMDY',
    markers: ['eyJzdWIiOiJwbGFudGVkMDAwNiJ9', 'cGxhbnRlZGp3dHNpZzAwMDY'],
  },
  { kind: 'aws-access-key', text: 'AKIAPLANTED000000007', markers: ['PLANTED000000007'] },
  {
    kind: 'aws-secret-key',
    text: 'aws_secret_access_key=PlantedAwsSecret0008PlantedAwsSecret0008',
    markers: ['PlantedAwsSecret0008'],
  },
  { kind: 'github-token', text: 'ghp_PlantedGithubToken0009PlantedGithub0', markers: ['PlantedGithubToken0009'] },
  { kind: 'npm-token', text: 'npm_PlantedNpmToken0010PlantedNpmToken00', markers: ['PlantedNpmToken0010'] },
  { kind: 'slack-token', text: 'xoxb-PlantedSlack0011-token', markers: ['PlantedSlack0011'] },
  { kind: 'google-api-key', text: 'AIzaPlantedGoogleKey0012PlantedGoogle12', markers: ['PlantedGoogleKey0012'] },
  { kind: 'openai-key', text: 'sk-proj-PlantedOpenaiKey0013abcdefgh', markers: ['PlantedOpenaiKey0013'] },
  { kind: 'bearer-token', text: 'Bearer PlantedBearerToken0014xyz', markers: ['PlantedBearerToken0014'] },
  { kind: 'password', text: 'password=PlantedPassword0015', markers: ['PlantedPassword0015'] },
  {
    kind: 'url-credentials',
    text: 'https://admin:PlantedUrlPass0016@example.com/x',
    markers: ['PlantedUrlPass0016'],
  },
];

/** Every marker of every planted secret, lower-cased. */
export const MARKERS = SECRETS.flatMap((s) => s.markers.map((m) => m.toLowerCase()));

/** The markers found in `text` (case-insensitively); empty when nothing leaked. */
export function leaks(text: string): string[] {
  const lower = text.toLowerCase();
  return MARKERS.filter((m) => lower.includes(m));
}

/** A string value with a secret planted after it (a space first, so word boundaries hold as in real text). */
export function planted(value: string, secret: PlantedSecret): string {
  return `${value} ${secret.text}`;
}
