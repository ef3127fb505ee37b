// Sentinel content from kql/ (through infra/generated, npm run content): analytics rules, hunting
// queries and parsers as saved searches, the workbook, and the data connector definition that puts
// Causeway in the connector gallery.
param location string
param workspaceName string
param useNrtStoryRule bool
param dcrImmutableId string
param logsIngestionEndpoint string

@description('Deploy Im_ProcessEventCustom, Im_NetworkSessionCustom and Im_FileEventCustom, so Causeway rows appear in the built-in ASIM parsers. Replaces functions of those names already in the workspace.')
param deployAsimCustomUnifyingParsers bool

var rules = loadJsonContent('../generated/rules.json')
var hunting = loadJsonContent('../generated/hunting.json').queries
var parsers = loadJsonContent('../generated/parsers.json').parsers
var workbook = loadJsonContent('../generated/workbook.json')

// Scheduled rules that an NRT variant replaces when useNrtStoryRule is set.
var replacedByNrt = map(rules.nrt, r => r.variantOf)

var workbookName = guid(workspace.id, 'causeway-attack-stories-workbook')

// The story rules link each incident to the workbook opened on its StoryId (NotebookParams); the
// link's fixed part (workspace and workbook ids) is known only here, so the generated queries carry
// a marker in its place.
var workbookLink = 'https://portal.azure.com/#view/AppInsightsExtension/WorkbookViewerBlade/ComponentId/${uriComponent(workspace.id)}/ConfigurationId/${uriComponent(resourceId('Microsoft.Insights/workbooks', workbookName))}/Type/sentinel/NotebookParams/'

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: workspaceName
}

// Scheduled rules on the stable API; NRT rules exist only in the preview API.
resource scheduledRules 'Microsoft.SecurityInsights/alertRules@2025-09-01' = [
  for rule in rules.scheduled: if (!useNrtStoryRule || !contains(replacedByNrt, rule.id)) {
    name: rule.id
    scope: workspace
    kind: 'Scheduled'
    properties: union(rule.properties, {
      query: replace(rule.properties.query, rules.workbookLinkMarker, workbookLink)
    })
  }
]

resource nrtRules 'Microsoft.SecurityInsights/alertRules@2025-10-01-preview' = [
  for rule in rules.nrt: if (useNrtStoryRule) {
    name: rule.id
    scope: workspace
    kind: 'NRT'
    properties: union(rule.properties, {
      query: replace(rule.properties.query, rules.workbookLinkMarker, workbookLink)
    })
  }
]

resource huntingQueries 'Microsoft.OperationalInsights/workspaces/savedSearches@2025-07-01' = [
  for q in hunting: {
    parent: workspace
    name: q.id
    properties: {
      category: 'Hunting Queries'
      displayName: q.displayName
      query: q.query
      tags: q.tags
      version: 2
    }
  }
]

// Parsers as workspace functions. The Im_<Schema>Custom functions are the hooks Microsoft's built-in
// ASIM unifying parsers (imProcessCreate, imNetworkSession, imFileEvent, ...) call; a workspace has
// one of each, so they are deployed only with deployAsimCustomUnifyingParsers (README: ASIM).
resource parserFunctions 'Microsoft.OperationalInsights/workspaces/savedSearches@2025-07-01' = [
  for p in parsers: if (deployAsimCustomUnifyingParsers || !p.customUnifying) {
    parent: workspace
    name: p.name
    properties: {
      category: 'Causeway parsers'
      displayName: p.displayName
      query: p.query
      functionAlias: p.name
      functionParameters: p.functionParameters
      version: 2
    }
  }
]

resource attackStoriesWorkbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: workbookName
  location: location
  kind: 'shared'
  properties: {
    displayName: workbook.displayName
    category: 'sentinel'
    serializedData: workbook.serializedData
    sourceId: workspace.id
    version: '1.0'
  }
}

resource connectorDefinition 'Microsoft.SecurityInsights/dataConnectorDefinitions@2025-09-01' = {
  name: 'CausewayPush'
  scope: workspace
  kind: 'Customizable'
  properties: {
    connectorUiConfig: {
      id: 'CausewayPush'
      title: 'Causeway attack stories (AI-agent runtime security)'
      publisher: 'Causeway'
      descriptionMarkdown: 'Causeway correlates Defender for AI prompt alerts, agent and MCP spans, and eBPF runtime sensors (Tetragon, Kubescape, Falco, Defender for Containers) into causal attack stories, written to custom tables through the Logs Ingestion API by a managed identity.'
      graphQueries: [
        {
          metricName: 'Story versions'
          legend: 'CausewayStories_CL'
          baseQuery: 'CausewayStories_CL'
        }
        {
          metricName: 'Evidence rows'
          legend: 'CausewayEvidence_CL'
          baseQuery: 'CausewayEvidence_CL'
        }
      ]
      // No sampleQueries: the GA type (2025-09-01) has no such property (BCP037); the CausewayStories
      // parser and the hunting queries are the samples.
      dataTypes: [
        {
          name: 'CausewayStories_CL'
          lastDataReceivedQuery: 'CausewayStories_CL\n| summarize Time = max(TimeGenerated)\n| where isnotempty(Time)'
        }
        {
          name: 'CausewayEvidence_CL'
          lastDataReceivedQuery: 'CausewayEvidence_CL\n| summarize Time = max(TimeGenerated)\n| where isnotempty(Time)'
        }
        {
          name: 'CausewayPipeline_CL'
          lastDataReceivedQuery: 'CausewayPipeline_CL\n| summarize Time = max(TimeGenerated)\n| where isnotempty(Time)'
        }
        {
          name: 'CausewayInventory_CL'
          lastDataReceivedQuery: 'CausewayInventory_CL\n| summarize Time = max(TimeGenerated)\n| where isnotempty(Time)'
        }
      ]
      connectivityCriteria: [
        {
          type: 'IsConnectedQuery'
          value: [
            'CausewayPipeline_CL\n| summarize LastLogReceived = max(TimeGenerated)\n| project IsConnected = LastLogReceived > ago(1d)'
          ]
        }
      ]
      availability: {
        isPreview: true
      }
      permissions: {
        resourceProvider: [
          {
            provider: 'Microsoft.OperationalInsights/workspaces'
            permissionsDisplayText: 'Read and write permissions on the workspace.'
            providerDisplayName: 'Workspace'
            scope: 'Workspace'
            requiredPermissions: {
              read: true
              write: true
            }
          }
        ]
        customs: [
          {
            name: 'Monitoring Metrics Publisher on the DCR'
            description: 'The pipeline\'s managed identity needs Monitoring Metrics Publisher on the data collection rule (granted by infra/modules/rbac.bicep).'
          }
        ]
      }
      instructionSteps: [
        {
          title: 'Deploy Causeway'
          description: 'Deploy infra/main.bicep (see the README). The Functions app writes to this workspace with its managed identity; no keys are involved.'
          instructions: [
            {
              type: 'CopyableLabel'
              parameters: {
                label: 'Logs ingestion endpoint'
                value: logsIngestionEndpoint
              }
            }
            {
              type: 'CopyableLabel'
              parameters: {
                label: 'DCR immutable id'
                value: dcrImmutableId
              }
            }
          ]
        }
      ]
    }
  }
}
