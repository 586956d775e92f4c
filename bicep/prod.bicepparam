// Production: the Functions host with Redis for limits shared across instances, and a year of logs.
using 'main.bicep'

param environmentName = 'prod'
param hostKind = 'functions'
param acsDataLocation = 'United States'
param subscribeEvents = bool(readEnvironmentVariable('HIROI_SUBSCRIBE_EVENTS', 'false'))
param eventGridDeliveryAuth = 'entra'
param eventGridEntraAudience = readEnvironmentVariable('HIROI_EVENTGRID_AUDIENCE', '')
param vaultOfficerObjectId = readEnvironmentVariable('HIROI_VAULT_OFFICER', '')
param deployRedis = true
param redisSku = 'Balanced_B5'
param logRetentionDays = 365
