// The Functions app on Flex Consumption (Node 22), running as the user-assigned identity with
// identity-based connections only: Event Hubs and host storage by name, the DCR by endpoint and id.
param location string
param planName string
param functionAppName string
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerUrl string
param eventHubsNamespaceFqdn string

@description('Namespace of the cloud-audit hub (its own: cloudAudit.bicep says why).')
param cloudAuditNamespaceFqdn string
param logsIngestionEndpoint string
param dcrImmutableId string
param clusterName string
param maximumInstanceCount int
param instanceMemoryMB int

@description('Partitions of workload-events and episodes: the stages need the count to own broadcast stories once.')
param partitionCount int

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: functionAppName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      runtime: {
        // Node 20 is past its end of life; package.json engines (>=20.19) admits 22.
        name: 'node'
        version: '22'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // Host storage (checkpoints, leases) by identity.
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        // Event Hubs triggers and the producer by identity (<prefix>__fullyQualifiedNamespace).
        { name: 'EventHubConnection__fullyQualifiedNamespace', value: eventHubsNamespaceFqdn }
        { name: 'EventHubConnection__credential', value: 'managedidentity' }
        { name: 'EventHubConnection__clientId', value: identityClientId }
        { name: 'CloudAuditConnection__fullyQualifiedNamespace', value: cloudAuditNamespaceFqdn }
        { name: 'CloudAuditConnection__credential', value: 'managedidentity' }
        { name: 'CloudAuditConnection__clientId', value: identityClientId }
        // The pipeline's own settings (see README: Configuration).
        // A larger V8 young generation: the decoders allocate fast and most objects die young.
        { name: 'languageWorkers__node__arguments', value: '--max-semi-space-size=64' }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'CAUSEWAY_CLUSTER', value: clusterName }
        { name: 'CAUSEWAY_LOGS_INGESTION_ENDPOINT', value: logsIngestionEndpoint }
        { name: 'CAUSEWAY_DCR_IMMUTABLE_ID', value: dcrImmutableId }
        { name: 'CAUSEWAY_STATE_ACCOUNT', value: storageAccountName }
        { name: 'CAUSEWAY_EVENTHUBS_NAMESPACE', value: eventHubsNamespaceFqdn }
        { name: 'CAUSEWAY_WORKLOAD_PARTITIONS', value: string(partitionCount) }
        { name: 'CAUSEWAY_STORY_PARTITIONS', value: string(partitionCount) }
      ]
    }
  }
}

output principalName string = app.name
