// A Diagnostic Setting that streams an AKS cluster's audit logs (kube-audit, kube-audit-admin) or a
// Key Vault's AuditEvent to the cloud-audit hub. Deployed in the resource group of the cluster or
// vault (main.bicep scopes the module from its resource id). Azure Monitor requires the hub's
// namespace to be in the same region as a regional resource it streams from.
//
// Entra sign-in logs are tenant-level Diagnostic Settings (microsoft.aadiam), which a resource-group
// deployment cannot create: README (Cloud audit) gives the az command and the roles it needs.

@description('What resourceName names: an AKS managed cluster or a Key Vault.')
@allowed([
  'aks'
  'keyvault'
])
param kind string

@description('Name of the cluster or vault, in this resource group.')
param resourceName string

@description('Log categories: kube-audit and/or kube-audit-admin for a cluster, AuditEvent for a vault.')
param categories array

@description('The cloud-audit namespace\'s authorization rule (cloudAudit.bicep output).')
param eventHubAuthorizationRuleId string

param eventHubName string = 'cloud-audit'
param settingName string = 'causeway-cloud-audit'

resource cluster 'Microsoft.ContainerService/managedClusters@2024-08-01' existing = if (kind == 'aks') {
  name: resourceName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = if (kind == 'keyvault') {
  name: resourceName
}

resource clusterSetting 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (kind == 'aks') {
  name: settingName
  scope: cluster
  properties: {
    eventHubAuthorizationRuleId: eventHubAuthorizationRuleId
    eventHubName: eventHubName
    logs: [
      for category in categories: {
        category: category
        enabled: true
      }
    ]
  }
}

resource vaultSetting 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (kind == 'keyvault') {
  name: settingName
  scope: vault
  properties: {
    eventHubAuthorizationRuleId: eventHubAuthorizationRuleId
    eventHubName: eventHubName
    logs: [
      for category in categories: {
        category: category
        enabled: true
      }
    ]
  }
}
