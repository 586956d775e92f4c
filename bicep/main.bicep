// Hiroi platform infrastructure: storage, Key Vault, monitoring and the managed identity the app runs as.
// Identity-based access everywhere: storage has shared keys disabled, Key Vault uses RBAC, App Insights local auth is off.
targetScope = 'resourceGroup'

@description('Short environment name (dev, test, prod); part of every resource name.')
@minLength(2)
@maxLength(10)
param environmentName string

@description('Azure region for all resources; defaults to the resource group\'s.')
param location string = resourceGroup().location

@description('Object id of a person or group to grant Key Vault Secrets Officer, so they can set secrets. Empty to skip.')
param vaultOfficerObjectId string = ''

@description('Days of log retention in Log Analytics.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Tags applied to every resource.')
param tags object = {}

// Unique, stable suffix for globally named resources.
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var allTags = union(tags, { 'hiroi-env': environmentName })

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-hiroi-${environmentName}-${resourceToken}'
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: 'log-hiroi-${environmentName}-${resourceToken}'
    appInsightsName: 'appi-hiroi-${environmentName}-${resourceToken}'
    location: location
    retentionInDays: logRetentionDays
    publisherPrincipalId: identity.outputs.principalId
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: take('sthiroi${resourceToken}', 24)
    location: location
    dataPrincipalId: identity.outputs.principalId
    tags: allTags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: take('kv-hiroi-${resourceToken}', 24)
    location: location
    readerPrincipalId: identity.outputs.principalId
    adminPrincipalId: vaultOfficerObjectId
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
  }
}

@description('Client id of the managed identity; set as AzureWebJobsStorage__clientId and AZURE_CLIENT_ID.')
output identityClientId string = identity.outputs.clientId

@description('Resource id of the managed identity, to attach to the Function App or Container App.')
output identityResourceId string = identity.outputs.resourceId

@description('Storage account name; set as AzureWebJobsStorage__accountName.')
output storageAccountName string = storage.outputs.name

@description('Key Vault URI; set as Hiroi__KeyVaultUri.')
output keyVaultUri string = keyVault.outputs.uri

@description('Application Insights resource id; the connection string is read from it at deployment of the app.')
output appInsightsId string = monitoring.outputs.appInsightsId
