// Built-in Azure role definition ids, one place for every module: each assignment names one of these, on one resource.

@export()
@description('Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).')
var builtInRoles = {
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  // ACS's call intelligence uses an AI services account (speech to text, text to speech) with this role.
  cognitiveServicesUser: 'a97b65f3-24c7-4388-baec-2e87135dc908'
  cognitiveServicesOpenAIUser: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'
  // ACS documents Contributor on the Communication Services resource for Entra ID access to its data plane (SMS, calls).
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}
