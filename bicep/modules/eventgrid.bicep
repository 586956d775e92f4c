// Event Grid: a system topic on the ACS resource and one subscription that delivers the events the app handles to its
// webhook, authenticated with Entra ID or the shared-secret header, retried for a day, dead-lettered to storage through
// an identity of its own that may write only to the dead-letter container.
import { builtInRoles } from 'roles.bicep'

@description('System topic name.')
param name string

@description('Azure region of the topic: global, like ACS.')
param location string = 'global'

@description('Resource id of the Communication Services resource.')
param acsId string

@description('The app\'s webhook URL (https://<host>/api/eventgrid/acs).')
param webhookUrl string

@description('Event types the webhook handles; exactly these are subscribed.')
param eventTypes string[]

@description('How Event Grid authenticates to the webhook: entra (a token for the app registration) or secret (a header).')
@allowed(['entra', 'secret'])
param deliveryAuth string

@description('Entra tenant id of the app registration the webhook accepts tokens for (entra delivery).')
param entraTenantId string

@description('Application id or URI of that app registration (entra delivery); the webhook\'s Hiroi__EventGrid__Entra__Audience.')
param entraAudience string

@description('The webhook secret (secret delivery): the same value as the EventGrid--WebhookSecret vault secret.')
@secure()
param webhookSecret string

@description('Storage account that holds dead-lettered events.')
param storageAccountName string

@description('Blob container for dead-lettered events.')
param deadLetterContainer string

@description('Tags for the resources.')
param tags object

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobs 'blobServices' existing = {
    name: 'default'

    resource deadLetters 'containers' existing = {
      name: deadLetterContainer
    }
  }
}

resource deliveryIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}'
  location: resourceGroup().location
  tags: tags
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobs::deadLetters.id, deliveryIdentity.id, builtInRoles.storageBlobDataContributor)
  scope: storage::blobs::deadLetters
  properties: {
    principalId: deliveryIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.storageBlobDataContributor)
  }
}

resource topic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${deliveryIdentity.id}': {}
    }
  }
  properties: {
    source: acsId
    topicType: 'Microsoft.Communication.CommunicationServices'
  }
}

var entraDestination = {
  endpointUrl: webhookUrl
  azureActiveDirectoryTenantId: entraTenantId
  azureActiveDirectoryApplicationIdOrUri: entraAudience
  maxEventsPerBatch: 1
}

var secretDestination = {
  endpointUrl: webhookUrl
  maxEventsPerBatch: 1
  deliveryAttributeMappings: [
    {
      name: 'x-hiroi-webhook-secret'
      type: 'Static'
      properties: {
        value: webhookSecret
        isSecret: true
      }
    }
  ]
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2024-06-01-preview' = {
  parent: topic
  name: 'hiroi-webhook'
  dependsOn: [deadLetterWriter]
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'WebHook'
      properties: deliveryAuth == 'entra' ? entraDestination : secretDestination
    }
    filter: {
      includedEventTypes: eventTypes
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: deliveryIdentity.id
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainer
        }
      }
    }
  }
}

@description('System topic resource id.')
output topicId string = topic.id
