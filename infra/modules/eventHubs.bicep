// Event Hubs (Standard: the Kafka endpoint needs Standard or above) with the input hubs, the
// internal hubs between the stages, and one consumer group per stage. Local (SAS) auth is off.
param location string
param namespaceName string
param partitionCount int

var inputHubs = [
  'runtime-sensors'
  'defender-alerts'
  'agent-telemetry'
]
var internalHubs = [
  'workload-events'
  'episodes'
]

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
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    isAutoInflateEnabled: true
    maximumThroughputUnits: 10
  }
}

resource hubs 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = [
  for hub in concat(inputHubs, internalHubs): {
    parent: namespace
    name: hub
    properties: {
      partitionCount: partitionCount
      messageRetentionInDays: 3
    }
  }
]

resource ingestGroups 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = [
  for (hub, i) in inputHubs: {
    parent: hubs[i]
    name: 'causeway-ingest'
  }
]

resource workloadGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: hubs[3]
  name: 'causeway-workload'
}

resource storyGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: hubs[4]
  name: 'causeway-story'
}

// The Functions host reads back the events between a partition's last snapshot and its next batch
// (functions.snapshotSeconds) in a group of its own: the triggers' groups hold epoch receivers.
resource replayGroups 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = [
  for (hub, i) in internalHubs: {
    parent: hubs[length(inputHubs) + i]
    name: 'causeway-replay'
  }
]

output namespaceName string = namespace.name
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
output inputHubs array = inputHubs
output internalHubs array = internalHubs
output defenderHubName string = hubs[1].name
output defenderHubId string = hubs[1].id
