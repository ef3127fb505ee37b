// The DCR (kind Direct: it has its own logs ingestion endpoint) with one input stream per table,
// Custom-<Table>, each flowing to its table through the transformation in infra/dcr-transform.kql.
param location string
param dcrName string
param dceName string
param useDataCollectionEndpoint bool
param workspaceResourceId string

var generated = loadJsonContent('../generated/tables.json')
var transformKql = loadTextContent('../dcr-transform.kql')

resource dce 'Microsoft.Insights/dataCollectionEndpoints@2023-03-11' = if (useDataCollectionEndpoint) {
  name: dceName
  location: location
  properties: {
    networkAcls: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource dcr 'Microsoft.Insights/dataCollectionRules@2024-03-11' = {
  name: dcrName
  location: location
  kind: 'Direct'
  properties: {
    dataCollectionEndpointId: useDataCollectionEndpoint ? dce.id : null
    streamDeclarations: toObject(generated.tables, t => 'Custom-${t.name}', t => { columns: t.streamColumns })
    destinations: {
      logAnalytics: [
        {
          name: 'workspace'
          workspaceResourceId: workspaceResourceId
        }
      ]
    }
    dataFlows: [
      for table in generated.tables: {
        streams: [
          'Custom-${table.name}'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: transformKql
        outputStream: 'Custom-${table.name}'
      }
    ]
  }
}

output dcrName string = dcr.name
output immutableId string = dcr.properties.immutableId
output logsIngestionEndpoint string = useDataCollectionEndpoint ? dce!.properties.logsIngestion.endpoint : dcr.properties.endpoints.logsIngestion
