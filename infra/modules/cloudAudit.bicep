// The cloud-audit input: AKS kube-audit / kube-audit-admin, Entra workload-identity sign-ins and Key
// Vault AuditEvent, as Azure Monitor Diagnostic Settings stream them to Event Hubs.
//
// Diagnostic Settings write to Event Hubs only through a namespace authorization rule (a SAS policy
// with Manage, Send and Listen); they cannot use Entra ID. Local (SAS) auth must therefore be on in
// the namespace they write to. This hub gets a namespace of its own that holds nothing else, so the
// rule reaches only cloud audit logs and the pipeline's namespace keeps local auth off. Causeway reads
// it with its managed identity (Azure Event Hubs Data Receiver on the hub); no key is read or stored
// by this template or by Causeway. Whoever creates a Diagnostic Setting needs
// Microsoft.EventHub/namespaces/authorizationRules/listkeys/action on the rule (README: Cloud audit).
param location string
param namespaceName string
param partitionCount int

@description('Object id of the pipeline identity, which reads the hub.')
param principalId string

var eventHubsDataReceiver = 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  sku: {
    name: 'Standard'
    tier: 'Standard'
    capacity: 1
  }
  properties: {
    kafkaEnabled: true
    // Required by Diagnostic Settings (see above); the namespace holds only the cloud-audit hub.
    disableLocalAuth: false
    minimumTlsVersion: '1.2'
    isAutoInflateEnabled: true
    maximumThroughputUnits: 10
  }
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: 'cloud-audit'
  properties: {
    partitionCount: partitionCount
    // Azure Monitor recommends at least seven days for streamed monitoring data.
    messageRetentionInDays: 7
  }
}

resource ingestGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: hub
  name: 'causeway-ingest'
}

// The rule Diagnostic Settings send with: Manage, Send and Listen, as Azure Monitor requires.
resource diagnosticSettingsRule 'Microsoft.EventHub/namespaces/authorizationRules@2024-01-01' = {
  parent: namespace
  name: 'diagnostic-settings'
  properties: {
    rights: [
      'Listen'
      'Manage'
      'Send'
    ]
  }
}

resource receive 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hub.id, principalId, eventHubsDataReceiver)
  scope: hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventHubsDataReceiver)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output namespaceName string = namespace.name
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
output hubName string = hub.name
output authorizationRuleId string = diagnosticSettingsRule.id
