// Defender for Cloud continuous export of alerts to the defender-alerts hub, as a trusted service
// (no connection string: the Security resource provider gets Azure Event Hubs Data Sender on the
// hub, see defenderExportRole.bicep). Only preview API versions exist for automations.
// An automation is a resource-group resource (its only writable scope in Azure's type data): it is
// deployed here, in the Causeway resource group, and exports the whole subscription through
// scopePath. (A subscription targetScope does not compile: BCP135.)

param location string
param eventHubId string

resource export 'Microsoft.Security/automations@2023-12-01-preview' = {
  name: 'causeway-export-alerts'
  location: location
  properties: {
    description: 'Causeway: stream Defender alerts (all plans, all severities) to the defender-alerts hub.'
    isEnabled: true
    scopes: [
      {
        description: 'subscription'
        scopePath: subscription().id
      }
    ]
    sources: [
      {
        eventSource: 'Alerts'
        ruleSets: [
          for severity in ['high', 'medium', 'low', 'informational']: {
            rules: [
              {
                propertyJPath: 'Severity'
                propertyType: 'String'
                expectedValue: severity
                operator: 'Equals'
              }
            ]
          }
        ]
      }
    ]
    actions: [
      {
        actionType: 'EventHub'
        eventHubResourceId: eventHubId
        isTrustedServiceEnabled: true
      }
    ]
  }
}
