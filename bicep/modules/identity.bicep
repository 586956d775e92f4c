// The user-assigned managed identity the app runs as; every data-plane permission is granted to it.

@description('Name of the managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags for the resource.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Principal (object) id, for role assignments.')
output principalId string = identity.properties.principalId

@description('Client id, for DefaultAzureCredential in the app.')
output clientId string = identity.properties.clientId

@description('Resource id, to attach the identity to a compute resource.')
output resourceId string = identity.id
