// Lets Defender for Cloud's resource provider send exported alerts to the one hub, as a trusted
// service (no SAS policy, no connection string).
param eventHubsNamespaceName string
param defenderHubName string

@description('Object id of the "Windows Azure Security Resource Provider" service principal in this tenant.')
param securityResourceProviderObjectId string

var eventHubsDataSender = '2b629674-e913-4c01-ae53-ef4638d8f975'

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' existing = {
  name: eventHubsNamespaceName
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' existing = {
  parent: namespace
  name: defenderHubName
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hub.id, securityResourceProviderObjectId, eventHubsDataSender)
  scope: hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventHubsDataSender)
    principalId: securityResourceProviderObjectId
    principalType: 'ServicePrincipal'
  }
}
