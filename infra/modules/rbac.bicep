// Least-privilege role assignments for the pipeline identity, each scoped to its one resource
// (built-in role GUIDs from reference/azure-platform.md §4.5).
param principalId string
param eventHubsNamespaceName string
param inputHubs array
param internalHubs array
param dcrName string
param storageAccountName string

var roles = {
  eventHubsDataReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'
  eventHubsDataSender: '2b629674-e913-4c01-ae53-ef4638d8f975'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' existing = {
  name: eventHubsNamespaceName
}

resource readHubs 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' existing = [
  for hub in concat(inputHubs, internalHubs): {
    parent: namespace
    name: hub
  }
]

resource writeHubs 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' existing = [
  for hub in internalHubs: {
    parent: namespace
    name: hub
  }
]

resource dcr 'Microsoft.Insights/dataCollectionRules@2024-03-11' existing = {
  name: dcrName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// Receive from every hub the app reads: the inputs and the two internal hubs.
resource receive 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (hub, i) in concat(inputHubs, internalHubs): {
    name: guid(readHubs[i].id, principalId, roles.eventHubsDataReceiver)
    scope: readHubs[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventHubsDataReceiver)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Send only to the internal hubs (stage ① → ②, ② → ③).
resource send 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (hub, i) in internalHubs: {
    name: guid(writeHubs[i].id, principalId, roles.eventHubsDataSender)
    scope: writeHubs[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventHubsDataSender)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Upload rows through the Logs Ingestion API.
resource publish 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dcr.id, principalId, roles.monitoringMetricsPublisher)
  scope: dcr
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Host storage (checkpoints, leases, deployment package) and the state snapshots.
resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]: {
    name: guid(storage.id, principalId, role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]
