// Hiroi platform: the app (Functions on Flex Consumption, or the self-host on Container Apps), storage, Key Vault,
// monitoring, Communication Services with its Event Grid subscription, optional Redis, the realtime voice host (the
// self-host on Container Apps beside the Functions app, for realtime agents' media sockets), and the managed identity the
// app runs as. Identity-based access everywhere: no keys, no connection strings with secrets, no secret values created.
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

@description('Which host serves the platform: the Functions app or the self-host on Container Apps.')
@allowed(['functions', 'containerapp'])
param hostKind string = 'functions'

@description('Serve realtime voice agents (voice.mode realtime) beside the Functions app: the self-host on Container Apps holds their calls\' media sockets, which Azure Functions cannot (with hostKind containerapp, the one app does it all).')
param realtimeVoice bool = false

@description('The Azure OpenAI realtime model deployment realtime agents talk through (e.g. gpt-realtime), priced like the chat deployments in the Hiroi__Ai__Models settings; empty uses each agent\'s own model.')
param realtimeDeployment string = ''

@description('Image of the self-host (containerapp, or the realtime host); azd sets it on deploy.')
param containerImage string = 'mcr.microsoft.com/k8se/quickstart:latest'

@description('Where Communication Services stores data at rest.')
param acsDataLocation string = 'United States'

@description('Subscribe the webhook to ACS events. Event Grid validates the endpoint when subscribing, so the app must be deployed first: false on the first provision, then true.')
param subscribeEvents bool = false

@description('How Event Grid authenticates to the webhook: entra (recommended) or secret.')
@allowed(['entra', 'secret'])
param eventGridDeliveryAuth string = 'entra'

@description('Application id or URI of the app registration Event Grid gets tokens for (entra delivery).')
param eventGridEntraAudience string = ''

@description('The webhook secret for secret delivery: the value already set as the vault secret EventGrid--WebhookSecret.')
@secure()
param eventGridWebhookSecret string = ''

@description('Deploy Azure Managed Redis for limits shared across instances.')
param deployRedis bool = false

@description('Azure Managed Redis SKU.')
param redisSku string = 'Balanced_B0'

@description('Daily retention sweep schedule (NCRONTAB with seconds, UTC).')
param retentionSchedule string = '0 0 3 * * *'

@description('The agents\' chat model deployment in the AI services account: its name (what an agent\'s "model" names), model, version, capacity (thousands of tokens a minute) and prices (USD per million tokens, for metering).')
param chatDeployment object = {
  name: 'gpt-4o-mini'
  model: 'gpt-4o-mini'
  version: '2024-07-18'
  capacity: 50
  inputUsdPerMillionTokens: '0.15'
  outputUsdPerMillionTokens: '0.6'
}

@description('Function App instances kept warm for HTTP (the webhook and call callbacks): a cold start is dead air on a call.')
@minValue(0)
@maxValue(20)
param alwaysReadyHttp int = 1

@description('Verified sender of the ACS Email resource for console sign-in mail (links, codes, invitations); empty sends none.')
param signInSenderAddress string = ''

@description('Client id of the Entra app registration for console sign-in with Microsoft; empty turns it off. Its secret is the vault secret SignIn--EntraClientSecret.')
param entraSignInClientId string = ''

@description('Entra tenant ids whose people may sign in to the console, comma-separated (default: this tenant).')
param entraSignInAllowedTenants string = tenant().tenantId

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

var deploymentContainer = 'app-package'
var deadLetterContainer = 'eventgrid-deadletter'

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: take('sthiroi${resourceToken}', 24)
    location: location
    dataPrincipalId: identity.outputs.principalId
    containers: [deploymentContainer, deadLetterContainer]
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

module acs 'modules/acs.bicep' = {
  name: 'acs'
  params: {
    name: 'acs-hiroi-${environmentName}-${resourceToken}'
    dataLocation: acsDataLocation
    appPrincipalId: identity.outputs.principalId
    tags: allTags
  }
}

module ai 'modules/ai.bicep' = {
  name: 'ai'
  params: {
    name: 'ais-hiroi-${environmentName}-${resourceToken}'
    location: location
    acsPrincipalId: acs.outputs.principalId
    appPrincipalId: identity.outputs.principalId
    chatDeployment: chatDeployment
    tags: allTags
  }
}

module redis 'modules/redis.bicep' = if (deployRedis) {
  name: 'redis'
  params: {
    name: 'redis-hiroi-${environmentName}-${resourceToken}'
    location: location
    skuName: redisSku
    appPrincipalId: identity.outputs.principalId
    tags: allTags
  }
}

// The app's host names are known before the app exists, so its settings can name its own URL.
var functionAppName = 'func-hiroi-${environmentName}-${resourceToken}'
var containerAppName = take('ca-hiroi-${environmentName}-${resourceToken}', 32)

// Every setting either host reads, the same for both; none is a secret. Secrets are read from the vault by name
// (EventGrid--WebhookSecret, Calls--CallbackSigningKeys, ...), never put in settings.
var appSettings = union({
  AzureWebJobsStorage__accountName: storage.outputs.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  AZURE_CLIENT_ID: identity.outputs.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identity.outputs.clientId}'
  Hiroi__KeyVaultUri: keyVault.outputs.uri
  Hiroi__Acs__Endpoint: acs.outputs.endpoint
  Hiroi__Acs__UseEntraId: 'true'
  Hiroi__Acs__CallbackAuth__Audience: acs.outputs.immutableResourceId
  Hiroi__AcsSimulator__Enabled: 'false'
  Hiroi__RetentionSweep__Schedule: retentionSchedule
  // The prefix of tables, containers and queues; the queue triggers' names read it (%Hiroi:Storage:Prefix%).
  Hiroi__Storage__Prefix: 'hiroi'
  // Agents: their model deployment through the app's identity, and the speech service ACS talks through on calls.
  Hiroi__Ai__Provider: 'AzureOpenAI'
  Hiroi__Ai__Endpoint: ai.outputs.openAiEndpoint
  'Hiroi__Ai__Models__${chatDeployment.name}__InputUsdPerMillionTokens': string(chatDeployment.inputUsdPerMillionTokens)
  'Hiroi__Ai__Models__${chatDeployment.name}__OutputUsdPerMillionTokens': string(chatDeployment.outputUsdPerMillionTokens)
  Hiroi__Calls__CognitiveServicesEndpoint: ai.outputs.endpoint
  // Both hosts sit behind the platform's proxies (App Service front ends and the Functions host; Container Apps' Envoy),
  // which reach the app from private addresses and append the client to X-Forwarded-For. Believing private hops, two
  // deep, finds the client; the first public address ends the walk, so a client cannot pick its own.
  Hiroi__Proxies__KnownNetworks__0: '10.0.0.0/8'
  Hiroi__Proxies__KnownNetworks__1: '172.16.0.0/12'
  Hiroi__Proxies__KnownNetworks__2: '192.168.0.0/16'
  Hiroi__Proxies__KnownNetworks__3: '100.64.0.0/10'
  Hiroi__Proxies__ForwardLimit: '2'
  Hiroi__SignIn__SenderAddress: signInSenderAddress
  Hiroi__SignIn__Entra__ClientId: entraSignInClientId
  Hiroi__SignIn__Entra__AllowedTenants: entraSignInAllowedTenants
}, eventGridDeliveryAuth == 'entra' ? {
  Hiroi__EventGrid__Entra__TenantId: tenant().tenantId
  Hiroi__EventGrid__Entra__Audience: eventGridEntraAudience
} : {}, deployRedis ? {
  Hiroi__Redis__Connection: redis!.outputs.endpoint
} : {}, empty(realtimeDeployment) ? {} : {
  Hiroi__Voice__Realtime__Deployment: realtimeDeployment
})

// The self-host on Container Apps: the whole platform (hostKind containerapp), or only the realtime host beside the
// Functions app, which runs the timers and answers the calls: its calls' media sockets and their callbacks come here.
var realtimeHost = hostKind == 'functions' && realtimeVoice
var deployContainerApp = hostKind == 'containerapp' || realtimeHost

module functionApp 'modules/functionapp.bicep' = if (hostKind == 'functions') {
  name: 'functionapp'
  params: {
    name: functionAppName
    location: location
    identityId: identity.outputs.resourceId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainer: deploymentContainer
    alwaysReadyHttp: alwaysReadyHttp
    settings: union(appSettings, {
      Hiroi__Calls__PublicBaseUrl: 'https://${functionAppName}.azurewebsites.net'
      // Sign-in links point at the app, and its host name is the passkeys' relying party.
      Hiroi__SignIn__PublicBaseUrl: 'https://${functionAppName}.azurewebsites.net'
      Hiroi__SignIn__PasskeyRelyingPartyId: '${functionAppName}.azurewebsites.net'
    }, realtimeHost ? {
      // Realtime agents' calls are answered here with media streaming to the realtime host's /api/calls/media.
      Hiroi__Voice__RealtimeBaseUrl: containerApp!.outputs.url
    } : {})
    tags: allTags
  }
}

module containerApp 'modules/containerapp.bicep' = if (deployContainerApp) {
  name: 'containerapp'
  params: {
    name: containerAppName
    location: location
    identityId: identity.outputs.resourceId
    identityPrincipalId: identity.outputs.principalId
    registryName: take('crhiroi${resourceToken}', 50)
    image: containerImage
    // Beside the Functions app, the timers are the Functions app's: the realtime host runs none.
    settings: union(appSettings, realtimeHost ? { Hiroi__RetentionSweep__Enabled: 'false' } : {})
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
  }
}

var appUrl = hostKind == 'functions' ? functionApp!.outputs.url : containerApp!.outputs.url

module eventGrid 'modules/eventgrid.bicep' = if (subscribeEvents) {
  name: 'eventgrid'
  params: {
    name: 'egst-hiroi-${environmentName}-${resourceToken}'
    acsId: acs.outputs.id
    webhookUrl: '${appUrl}/api/eventgrid/acs'
    eventTypes: [
      'Microsoft.Communication.SMSReceived'
      'Microsoft.Communication.SMSDeliveryReportReceived'
      'Microsoft.Communication.IncomingCall'
      'Microsoft.Communication.RecordingFileStatusUpdated'
    ]
    deliveryAuth: eventGridDeliveryAuth
    entraTenantId: tenant().tenantId
    entraAudience: eventGridEntraAudience
    webhookSecret: eventGridWebhookSecret
    storageAccountName: storage.outputs.name
    deadLetterContainer: deadLetterContainer
    tags: allTags
  }
}

@description('The app\'s base URL.')
output appUrl string = appUrl

@description('The URL Event Grid delivers ACS events to.')
output webhookUrl string = '${appUrl}/api/eventgrid/acs'

@description('Client id of the managed identity the app runs as (AzureWebJobsStorage__clientId, AZURE_CLIENT_ID).')
output identityClientId string = identity.outputs.clientId

@description('For azd: deploy the functions service (its host was provisioned).')
output DEPLOY_FUNCTIONS bool = hostKind == 'functions'

@description('For azd: deploy the server service to Container Apps (its host was provisioned: the platform, or the realtime host).')
output DEPLOY_SERVER bool = deployContainerApp

@description('For azd: the registry the server image is pushed to (containerapp or the realtime host).')
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = deployContainerApp ? containerApp!.outputs.registryEndpoint : ''

@description('Where ACS streams realtime agents\' calls (wss://{this}/api/calls/media); empty without a Container Apps host.')
output realtimeUrl string = deployContainerApp ? containerApp!.outputs.url : ''

@description('Resource id of the managed identity, to attach to the Function App or Container App.')
output identityResourceId string = identity.outputs.resourceId

@description('Storage account name; set as AzureWebJobsStorage__accountName.')
output storageAccountName string = storage.outputs.name

@description('Key Vault URI; set as Hiroi__KeyVaultUri.')
output keyVaultUri string = keyVault.outputs.uri

@description('Application Insights resource id; the connection string is read from it at deployment of the app.')
output appInsightsId string = monitoring.outputs.appInsightsId
