// Log Analytics workspace and workspace-based Application Insights with local (key) auth disabled: the app publishes
// telemetry with its managed identity.
import { builtInRoles } from 'roles.bicep'

@description('Log Analytics workspace name.')
param workspaceName string

@description('Application Insights component name.')
param appInsightsName string

@description('Azure region.')
param location string

@description('Days of log retention.')
param retentionInDays int

@description('Principal id allowed to publish telemetry (the app identity).')
param publisherPrincipalId string

@description('Tags for the resources.')
param tags object

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
    IngestionMode: 'LogAnalytics'
  }
}

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, publisherPrincipalId, builtInRoles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: publisherPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.monitoringMetricsPublisher)
  }
}

@description('Workspace resource id.')
output workspaceId string = workspace.id

@description('Application Insights resource id.')
output appInsightsId string = appInsights.id

@description('Application Insights connection string: an endpoint and an ingestion id, not a credential (local auth is off).')
output connectionString string = appInsights.properties.ConnectionString
