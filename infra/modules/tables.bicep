// The four custom tables. Columns come from schemas/tables through infra/generated/tables.json
// (npm run content), so the tables always match the rows the pipeline writes.
param workspaceName string

@allowed([
  'Analytics'
  'Basic'
  'Auxiliary'
])
param plan string
param retentionInDays int
param totalRetentionInDays int

var generated = loadJsonContent('../generated/tables.json')

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: workspaceName
}

resource tables 'Microsoft.OperationalInsights/workspaces/tables@2025-07-01' = [
  for table in generated.tables: {
    parent: workspace
    name: table.name
    properties: {
      plan: plan
      // Basic and Auxiliary tables have a fixed interactive period: the property is left out (null).
      retentionInDays: plan == 'Analytics' ? retentionInDays : null
      totalRetentionInDays: totalRetentionInDays
      schema: {
        name: table.name
        description: table.description
        columns: table.columns
      }
    }
  }
]
