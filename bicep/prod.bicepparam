// Production: the Functions host and a year of logs. Redis stays off until the app can sign in to it with Entra ID
// (that needs Microsoft.Azure.StackExchangeRedis, which the package feed does not serve yet; the README says more).
using 'main.bicep'

param environmentName = 'prod'
param hostKind = 'functions'
param acsDataLocation = 'United States'
param subscribeEvents = bool(readEnvironmentVariable('HIROI_SUBSCRIBE_EVENTS', 'false'))
param eventGridDeliveryAuth = 'entra'
param eventGridEntraAudience = readEnvironmentVariable('HIROI_EVENTGRID_AUDIENCE', '')
param vaultOfficerObjectId = readEnvironmentVariable('HIROI_VAULT_OFFICER', '')
param deployRedis = false
param redisSku = 'Balanced_B5'
param logRetentionDays = 365
// Realtime voice agents: the realtime host on Container Apps beside the Functions app, and the realtime model deployment.
param realtimeVoice = bool(readEnvironmentVariable('HIROI_REALTIME_VOICE', 'false'))
param realtimeDeployment = readEnvironmentVariable('HIROI_REALTIME_DEPLOYMENT', '')
