using 'main.bicep'

param clusterName = 'aks-prod'
param namePrefix = 'causeway'
param tablePlan = 'Analytics'
param enableSentinel = true
param deploySentinelContent = true
