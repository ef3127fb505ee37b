/**
 * Known AI endpoints by DNS name: which provider serves a model endpoint, and whether Defender
 * for AI Services covers it (Azure OpenAI and Azure AI Foundry endpoints only: Defender for AI
 * reads the prompts of those resources, no others).
 */

/** What a DNS name says about the AI service behind it. */
export interface AiEndpoint {
  provider: string;
  /** Azure OpenAI / Azure AI Foundry: Defender for AI Services can see the traffic. */
  defenderForAi: boolean;
}

const KNOWN: { pattern: RegExp; provider: string; defenderForAi: boolean }[] = [
  { pattern: /\.openai\.azure\.com$/, provider: 'azure.ai.openai', defenderForAi: true },
  { pattern: /\.services\.ai\.azure\.com$/, provider: 'azure.ai.foundry', defenderForAi: true },
  { pattern: /\.cognitiveservices\.azure\.com$/, provider: 'azure.ai.foundry', defenderForAi: true },
  { pattern: /\.inference\.ai\.azure\.com$/, provider: 'azure.ai.inference', defenderForAi: true },
  { pattern: /\.models\.ai\.azure\.com$/, provider: 'azure.ai.inference', defenderForAi: true },
  { pattern: /^api\.openai\.com$/, provider: 'openai', defenderForAi: false },
  { pattern: /^api\.anthropic\.com$/, provider: 'anthropic', defenderForAi: false },
  { pattern: /^generativelanguage\.googleapis\.com$/, provider: 'gcp.gemini', defenderForAi: false },
  { pattern: /(?:^|\.)aiplatform\.googleapis\.com$/, provider: 'gcp.vertex_ai', defenderForAi: false },
  {
    pattern: /^bedrock(?:-runtime)?(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com$/,
    provider: 'aws.bedrock',
    defenderForAi: false,
  },
  { pattern: /^api\.mistral\.ai$/, provider: 'mistral_ai', defenderForAi: false },
  { pattern: /^api\.cohere\.(?:ai|com)$/, provider: 'cohere', defenderForAi: false },
  { pattern: /^api\.groq\.com$/, provider: 'groq', defenderForAi: false },
  { pattern: /^api\.deepseek\.com$/, provider: 'deepseek', defenderForAi: false },
  { pattern: /^api\.x\.ai$/, provider: 'x_ai', defenderForAi: false },
  { pattern: /^openrouter\.ai$/, provider: 'openrouter', defenderForAi: false },
  { pattern: /^api\.together\.(?:xyz|ai)$/, provider: 'together', defenderForAi: false },
  {
    pattern: /^api-inference\.huggingface\.co$|^router\.huggingface\.co$/,
    provider: 'huggingface',
    defenderForAi: false,
  },
];

/** The AI service a DNS name belongs to, or undefined for any other name. */
export function aiEndpointOf(dnsName: string | undefined): AiEndpoint | undefined {
  if (!dnsName) return undefined;
  const name = dnsName.toLowerCase().replace(/\.$/, '');
  const hit = KNOWN.find((k) => k.pattern.test(name));
  return hit ? { provider: hit.provider, defenderForAi: hit.defenderForAi } : undefined;
}

/**
 * Whether a model call is covered by Defender for AI: its endpoint is an Azure OpenAI / AI Foundry
 * name, or (no endpoint recorded) its provider is one of Azure's.
 */
export function defenderCovers(endpoint: string | undefined, provider: string | undefined): boolean {
  const known = aiEndpointOf(endpoint);
  if (known) return known.defenderForAi;
  if (endpoint && !/^[\d.:a-f]+$/i.test(endpoint)) return false;
  return provider !== undefined && /^(?:azure|az)[._]/i.test(provider);
}
