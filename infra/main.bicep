// Causeway: Event Hubs → Azure Functions (Flex Consumption) → Logs Ingestion API → Sentinel.
// Managed identity everywhere: no keys, no connection strings, no listKeys.
targetScope = 'resourceGroup'

@description('Azure region for every resource (the DCR must be in the workspace region).')
param location string = resourceGroup().location

@description('Prefix for resource names (3-11 lower-case letters and digits).')
@minLength(3)
@maxLength(11)
param namePrefix string = 'causeway'

@description('Log Analytics workspace name; created when createWorkspace is true, otherwise it must exist in this resource group.')
param workspaceName string = '${namePrefix}-law'

@description('Create the Log Analytics workspace (false: use an existing one of this name).')
param createWorkspace bool = true

@description('Plan of the Causeway custom tables. Analytics for rules and incidents; Basic/Auxiliary only with deploySentinelContent=false (analytics rules cannot query those plans; the deployment refuses the combination).')
@allowed([
  'Analytics'
  'Basic'
  'Auxiliary'
])
param tablePlan string = 'Analytics'

@description('Interactive retention of the custom tables in days (Analytics plan).')
@minValue(4)
@maxValue(730)
param retentionInDays int = 90

@description('Total retention (interactive + long-term) in days.')
@minValue(4)
@maxValue(4383)
param totalRetentionInDays int = 365

@description('Use a data collection endpoint instead of the DCR\'s own logs ingestion endpoint (needed for Private Link).')
param useDataCollectionEndpoint bool = false

@description('Cluster name given to events whose source names none (one deployment per cluster, or one input hub per cluster).')
param clusterName string

@description('Partitions per hub: the Functions app scales out to at most this many instances per hub.')
@minValue(2)
@maxValue(32)
param eventHubPartitions int = 8

@description('Maximum Flex Consumption instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Flex Consumption instance memory.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Onboard the workspace to Microsoft Sentinel.')
param enableSentinel bool = true

@description('Deploy the analytics rules, hunting queries, parsers, workbook and data connector definition.')
param deploySentinelContent bool = true

@description('Deploy the near-real-time variant of the story rule (preview API) instead of the scheduled one.')
param useNrtStoryRule bool = false

@description('Deploy the ASIM custom unifying parsers (Im_ProcessEventCustom, Im_NetworkSessionCustom, Im_FileEventCustom) that make Causeway rows appear in imProcessCreate, imNetworkSession and imFileEvent. A workspace has one function of each name: leave this false when yours already has them, and add the lines in README (ASIM) to yours.')
param deployAsimCustomUnifyingParsers bool = createWorkspace

@description('Export Defender for Cloud alerts of this subscription to the defender-alerts hub (continuous export as a trusted service).')
param enableDefenderExport bool = false

@description('Object id of the "Windows Azure Security Resource Provider" service principal in this tenant (needed for enableDefenderExport).')
param securityResourceProviderObjectId string = ''

@description('Resource id of an AKS cluster whose audit logs stream to the cloud-audit hub through a Diagnostic Setting (empty: none). The cluster must be in this deployment\'s region.')
param aksClusterResourceId string = ''

@description('AKS audit categories to stream: kube-audit (every request, secret reads included) or kube-audit-admin (writes only: cheaper, blind to get and list). Both is redundant: kube-audit-admin is a subset.')
param aksAuditCategories array = [
  'kube-audit'
]

@description('Resource id of a Key Vault whose AuditEvent logs stream to the cloud-audit hub (empty: none). The vault must be in this deployment\'s region.')
param keyVaultResourceId string = ''

var names = {
  identity: '${namePrefix}-id'
  eventHubs: '${namePrefix}-eh-${uniqueString(resourceGroup().id)}'
  storage: toLower(take('${namePrefix}st${uniqueString(resourceGroup().id)}', 24))
  plan: '${namePrefix}-plan'
  functionApp: '${namePrefix}-func-${uniqueString(resourceGroup().id)}'
  dcr: '${namePrefix}-dcr'
  dce: '${namePrefix}-dce'
  cloudAudit: '${namePrefix}-ehaudit-${uniqueString(resourceGroup().id)}'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.identity
  location: location
}

module logAnalytics 'modules/logAnalytics.bicep' = {
  name: 'logAnalytics'
  params: {
    location: location
    workspaceName: workspaceName
    createWorkspace: createWorkspace
    enableSentinel: enableSentinel
  }
}

module tables 'modules/tables.bicep' = {
  name: 'tables'
  params: {
    workspaceName: logAnalytics.outputs.workspaceName
    plan: tablePlan
    retentionInDays: retentionInDays
    totalRetentionInDays: totalRetentionInDays
  }
}

module dataCollection 'modules/dataCollection.bicep' = {
  name: 'dataCollection'
  params: {
    location: location
    dcrName: names.dcr
    dceName: names.dce
    useDataCollectionEndpoint: useDataCollectionEndpoint
    workspaceResourceId: logAnalytics.outputs.workspaceId
  }
  dependsOn: [
    tables
  ]
}

module eventHubs 'modules/eventHubs.bicep' = {
  name: 'eventHubs'
  params: {
    location: location
    namespaceName: names.eventHubs
    partitionCount: eventHubPartitions
  }
}

module cloudAudit 'modules/cloudAudit.bicep' = {
  name: 'cloudAudit'
  params: {
    location: location
    namespaceName: names.cloudAudit
    partitionCount: eventHubPartitions
    principalId: identity.properties.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    storageAccountName: names.storage
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  params: {
    location: location
    planName: names.plan
    functionAppName: names.functionApp
    identityId: identity.id
    identityClientId: identity.properties.clientId
    storageAccountName: storage.outputs.storageAccountName
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    eventHubsNamespaceFqdn: eventHubs.outputs.fullyQualifiedNamespace
    cloudAuditNamespaceFqdn: cloudAudit.outputs.fullyQualifiedNamespace
    logsIngestionEndpoint: dataCollection.outputs.logsIngestionEndpoint
    dcrImmutableId: dataCollection.outputs.immutableId
    clusterName: clusterName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    partitionCount: eventHubPartitions
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    principalId: identity.properties.principalId
    eventHubsNamespaceName: eventHubs.outputs.namespaceName
    inputHubs: eventHubs.outputs.inputHubs
    internalHubs: eventHubs.outputs.internalHubs
    dcrName: dataCollection.outputs.dcrName
    storageAccountName: storage.outputs.storageAccountName
  }
}

// Scheduled and NRT analytics rules query only Analytics-plan tables: with the Causeway tables on
// Basic or Auxiliary the rules would deploy and never fire. Refuse that combination before anything
// is deployed.
var deployContent = enableSentinel && deploySentinelContent
var contentOnAnalyticsTables = !deployContent || tablePlan == 'Analytics' ? deployContent : fail('tablePlan ${tablePlan} puts the Causeway tables where analytics rules cannot query them: set tablePlan to Analytics, or deploySentinelContent to false.')

module sentinelContent 'modules/sentinelContent.bicep' = if (contentOnAnalyticsTables) {
  name: 'sentinelContent'
  params: {
    location: location
    workspaceName: logAnalytics.outputs.workspaceName
    useNrtStoryRule: useNrtStoryRule
    deployAsimCustomUnifyingParsers: deployAsimCustomUnifyingParsers
    dcrImmutableId: dataCollection.outputs.immutableId
    logsIngestionEndpoint: dataCollection.outputs.logsIngestionEndpoint
  }
  dependsOn: [
    tables
  ]
}

module defenderExport 'modules/defenderExport.bicep' = if (enableDefenderExport) {
  name: 'defenderExport'
  params: {
    location: location
    eventHubId: eventHubs.outputs.defenderHubId
  }
}

module defenderExportRole 'modules/defenderExportRole.bicep' = if (enableDefenderExport) {
  name: 'defenderExportRole'
  params: {
    eventHubsNamespaceName: eventHubs.outputs.namespaceName
    defenderHubName: eventHubs.outputs.defenderHubName
    securityResourceProviderObjectId: securityResourceProviderObjectId
  }
}

// Diagnostic Settings live with the resource they read: each module is deployed in the resource
// group its resource id names.
module aksDiagnostics 'modules/diagnosticSettings.bicep' = if (!empty(aksClusterResourceId)) {
  name: 'aksDiagnostics'
  scope: resourceGroup(split(aksClusterResourceId, '/')[2], split(aksClusterResourceId, '/')[4])
  params: {
    kind: 'aks'
    resourceName: last(split(aksClusterResourceId, '/'))
    categories: aksAuditCategories
    eventHubAuthorizationRuleId: cloudAudit.outputs.authorizationRuleId
    eventHubName: cloudAudit.outputs.hubName
  }
}

module keyVaultDiagnostics 'modules/diagnosticSettings.bicep' = if (!empty(keyVaultResourceId)) {
  name: 'keyVaultDiagnostics'
  scope: resourceGroup(split(keyVaultResourceId, '/')[2], split(keyVaultResourceId, '/')[4])
  params: {
    kind: 'keyvault'
    resourceName: last(split(keyVaultResourceId, '/'))
    categories: [
      'AuditEvent'
    ]
    eventHubAuthorizationRuleId: cloudAudit.outputs.authorizationRuleId
    eventHubName: cloudAudit.outputs.hubName
  }
}

@description('Logs ingestion endpoint (CAUSEWAY_LOGS_INGESTION_ENDPOINT) for causeway serve/replay outside Azure.')
output logsIngestionEndpoint string = dataCollection.outputs.logsIngestionEndpoint

@description('DCR immutable id (CAUSEWAY_DCR_IMMUTABLE_ID).')
output dcrImmutableId string = dataCollection.outputs.immutableId

@description('Event Hubs namespace (Kafka endpoint on port 9093).')
output eventHubsNamespace string = eventHubs.outputs.fullyQualifiedNamespace

@description('Event Hubs namespace of the cloud-audit hub (Diagnostic Settings write there).')
output cloudAuditNamespace string = cloudAudit.outputs.fullyQualifiedNamespace

@description('Authorization rule Diagnostic Settings send with (az monitor diagnostic-settings create --event-hub-rule; Entra: README).')
output cloudAuditAuthorizationRuleId string = cloudAudit.outputs.authorizationRuleId

@description('Function app name (deploy the package with az functionapp deployment source config-zip or func azure functionapp publish).')
output functionAppName string = names.functionApp

@description('Client id of the pipeline\'s user-assigned managed identity.')
output identityClientId string = identity.properties.clientId
