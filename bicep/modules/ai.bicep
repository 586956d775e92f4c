// Azure AI services for voice agents: one account (kind AIServices) that ACS recognizes speech and speaks through on
// calls with an agent (ACS reaches it with its own managed identity), and that hosts the agents' Azure OpenAI model
// deployment (the app reaches it with its identity). Keys are disabled: Entra ID only.
import { builtInRoles } from 'roles.bicep'

@description('AI services account name; also its custom subdomain, which ACS and the app call.')
param name string

@description('Azure region.')
param location string

@description('Principal id of the ACS resource\'s managed identity, which uses the account for speech on calls.')
param acsPrincipalId string

@description('Principal id of the app identity, which calls the agents\' model deployment.')
param appPrincipalId string

@description('The agents\' chat model deployment: its name (what an agent\'s "model" names), model and version.')
param chatDeployment object

@description('Tags for the resources.')
param tags object

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  tags: tags
  kind: 'AIServices'
  sku: {
    name: 'S0'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource chat 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: account
  name: chatDeployment.name
  sku: {
    name: 'GlobalStandard'
    capacity: chatDeployment.capacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: chatDeployment.model
      version: chatDeployment.version
    }
  }
}

// ACS's call intelligence (recognize, text-to-speech) uses the account as Cognitive Services User, by ACS's identity.
resource acsSpeech 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, acsPrincipalId, builtInRoles.cognitiveServicesUser)
  scope: account
  properties: {
    principalId: acsPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.cognitiveServicesUser)
  }
}

resource appModels 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, appPrincipalId, builtInRoles.cognitiveServicesOpenAIUser)
  scope: account
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.cognitiveServicesOpenAIUser)
  }
}

@description('The account\'s endpoint: Hiroi__Calls__CognitiveServicesEndpoint (speech on calls).')
output endpoint string = account.properties.endpoint

@description('The agents\' OpenAI-compatible v1 endpoint: Hiroi__Ai__Endpoint.')
output openAiEndpoint string = 'https://${name}.openai.azure.com/openai/v1/'

@description('The chat deployment\'s name, the model an agent names.')
output chatDeploymentName string = chat.name
