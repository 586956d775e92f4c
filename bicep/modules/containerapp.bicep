// The other host: the self-host's container on Azure Container Apps, with the same identity and settings as the
// Functions app. It pulls its image from a registry with that identity (no admin user), sends its logs to Azure
// Monitor (no workspace key), and always keeps one replica: it runs the timers and the Durable worker itself. It is
// also the realtime voice host: its HTTP ingress carries WebSockets, where ACS streams realtime calls (/api/calls/media).
import { builtInRoles } from 'roles.bicep'

@description('Container app name.')
param name string

@description('Azure region.')
param location string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Principal id of that identity, to pull images.')
param identityPrincipalId string

@description('Container registry name (5-50 letters and digits).')
param registryName string

@description('Image to run; azd replaces it on deploy. The placeholder serves until the first deploy.')
param image string

@description('App settings shared with the other host: name to value, none of them secret.')
param settings object

@description('Log Analytics workspace id, for the environment\'s diagnostic settings.')
param workspaceId string

@description('Replicas: at least one (the self-host runs its own timers), at most this many.')
@minValue(1)
@maxValue(30)
param maxReplicas int = 10

@description('Tags for the resources.')
param tags object

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: registryName
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
  }
}

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identityPrincipalId, builtInRoles.acrPull)
  scope: registry
  properties: {
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.acrPull)
  }
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: 'cae-${name}'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
  }
}

resource logs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs-to-log-analytics'
  scope: environment
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}


var sharedEnv = [for setting in items(settings): { name: setting.key, value: setting.value }]

// Known before the app exists, so its settings can name its own URL (ACS calls back to it).
var publicUrl = 'https://${name}.${environment.properties.defaultDomain}'

// The port the image listens on and exposes (functions/Hiroi.Server/Dockerfile), literal so the template tests can read it.
resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'server' })
  dependsOn: [pull]
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      // HTTP ingress (HTTP/1.1 and HTTP/2) carries WebSocket upgrades: ACS opens realtime calls' media sockets at
      // wss://{app}/api/calls/media; a streaming call is never idle (50 frames a second each way).
      ingress: {
        external: true
        targetPort: 8080
        transport: 'auto'
        allowInsecure: false
      }
      registries: [
        {
          server: registry.properties.loginServer
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'server'
          image: image
          resources: {
            cpu: json('1.0')
            memory: '2Gi'
          }
          env: concat(sharedEnv, [
            { name: 'Hiroi__Calls__PublicBaseUrl', value: publicUrl }
            { name: 'Hiroi__SignIn__PublicBaseUrl', value: publicUrl }
            { name: 'Hiroi__SignIn__PasskeyRelyingPartyId', value: '${name}.${environment.properties.defaultDomain}' }
          ])
          probes: [
            {
              type: 'Liveness'
              httpGet: { path: '/healthz', port: 8080 }
              periodSeconds: 10
            }
            {
              type: 'Readiness'
              httpGet: { path: '/readyz', port: 8080 }
              periodSeconds: 10
            }
            {
              type: 'Startup'
              httpGet: { path: '/healthz', port: 8080 }
              periodSeconds: 5
              failureThreshold: 24
            }
          ]
        }
      ]
      scale: {
        minReplicas: 1
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'http'
            http: {
              metadata: {
                concurrentRequests: '100'
              }
            }
          }
        ]
      }
    }
  }
}

@description('The app\'s base URL.')
output url string = publicUrl

@description('Registry login server, for azd (AZURE_CONTAINER_REGISTRY_ENDPOINT).')
output registryEndpoint string = registry.properties.loginServer
