// Azure Managed Redis for the limits shared across instances, with Entra ID only: access keys are off and the app
// identity is the one data-access principal. TLS only (the encrypted client protocol), TLS 1.2 at least.

@description('Redis cluster name.')
param name string

@description('Azure region.')
param location string

@description('SKU, e.g. Balanced_B0 for development, Balanced_B5 and up for production.')
param skuName string

@description('Object id of the app identity.')
param appPrincipalId string

@description('Tags for the resource.')
param tags object

resource cluster 'Microsoft.Cache/redisEnterprise@2024-09-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    minimumTlsVersion: '1.2'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2024-09-01-preview' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'EnterpriseCluster'
    evictionPolicy: 'NoEviction'
    accessKeysAuthentication: 'Disabled'
  }
}

resource appAccess 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2024-09-01-preview' = {
  parent: database
  name: take('app${uniqueString(appPrincipalId)}', 60)
  properties: {
    accessPolicyName: 'default'
    user: {
      objectId: appPrincipalId
    }
  }
}

@description('host:port of the database, for Hiroi__Redis__Connection (the app authenticates with its identity).')
output endpoint string = '${cluster.properties.hostName}:10000'
