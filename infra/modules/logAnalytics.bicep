// The workspace (created or existing) and, optionally, its Microsoft Sentinel onboarding.
param location string
param workspaceName string
param createWorkspace bool
param enableSentinel bool

resource newWorkspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' = if (createWorkspace) {
  name: workspaceName
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 90
    features: {
      // Access by resource or workspace permissions; no shared keys are ever read by Causeway.
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: workspaceName
  dependsOn: [
    newWorkspace
  ]
}

// Sentinel: the SecurityInsights solution, then onboarding (reference/azure-platform.md §3.2).
resource sentinelSolution 'Microsoft.OperationsManagement/solutions@2015-11-01-preview' = if (enableSentinel) {
  name: 'SecurityInsights(${workspaceName})'
  location: location
  properties: {
    workspaceResourceId: workspace.id
  }
  plan: {
    name: 'SecurityInsights(${workspaceName})'
    product: 'OMSGallery/SecurityInsights'
    publisher: 'Microsoft'
    promotionCode: ''
  }
}

resource onboarding 'Microsoft.SecurityInsights/onboardingStates@2025-09-01' = if (enableSentinel) {
  name: 'default'
  scope: workspace
  properties: {}
  dependsOn: [
    sentinelSolution
  ]
}

output workspaceId string = workspace.id
output workspaceName string = workspace.name
