// Azure Communication Services: the phone numbers, SMS and calls. The app reaches its data plane with Entra ID (its
// managed identity), so the resource's access keys are never read by the deployment or the app.
import { builtInRoles } from 'roles.bicep'

@description('Communication Services resource name.')
param name string

@description('Where ACS stores data at rest, e.g. United States, Europe, UK, Australia.')
param dataLocation string

@description('Principal id of the app identity that sends SMS and places calls.')
param appPrincipalId string

@description('Tags for the resource.')
param tags object

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: name
  // ACS is a global resource; its data location is a property.
  location: 'global'
  tags: tags
  // Its own identity reaches the AI services account that speaks and listens on calls with an agent.
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    dataLocation: dataLocation
  }
}

resource appAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, appPrincipalId, builtInRoles.contributor)
  scope: communication
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.contributor)
  }
}

@description('Resource id, the source of the Event Grid system topic.')
output id string = communication.id

@description('Data-plane endpoint, for Hiroi__Acs__Endpoint.')
output endpoint string = 'https://${communication.properties.hostName}'

@description('Principal id of the resource\'s managed identity, for the AI services account it speaks through.')
output principalId string = communication.identity.principalId

@description('Immutable resource id: the audience of the JWTs ACS signs on call callbacks.')
output immutableResourceId string = communication.properties.immutableResourceId
