// Development: the Functions host, a small Redis-free footprint, 30 days of logs.
using 'main.bicep'

param environmentName = 'dev'
param hostKind = 'functions'
param acsDataLocation = 'United States'
param subscribeEvents = bool(readEnvironmentVariable('HIROI_SUBSCRIBE_EVENTS', 'false'))
param eventGridDeliveryAuth = 'entra'
param eventGridEntraAudience = readEnvironmentVariable('HIROI_EVENTGRID_AUDIENCE', '')
param vaultOfficerObjectId = readEnvironmentVariable('HIROI_VAULT_OFFICER', '')
param deployRedis = false
param logRetentionDays = 30
// Realtime voice agents: the realtime host on Container Apps beside the Functions app, and the realtime model deployment.
param realtimeVoice = bool(readEnvironmentVariable('HIROI_REALTIME_VOICE', 'false'))
param realtimeDeployment = readEnvironmentVariable('HIROI_REALTIME_DEPLOYMENT', '')
