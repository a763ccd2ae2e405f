// BackupFunctions on Azure (azd: `azd up`). Subscription scope: one resource group per environment.
// Nothing here has been deployed from the development machines (no Azure access there);
// scripts/bicep-check.sh compiles and lints it with the Bicep CLI. See infra/README.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name; names the resource group and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('Redundancy of the backup storage account. RA-GZRS keeps a readable copy in a second region (the offsite copy of 3-2-1).')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_RAGRS'
  'Standard_GZRS'
  'Standard_RAGZRS'
])
param backupRedundancy string = 'Standard_RAGZRS'

@description('Days every backup blob stays write-protected (container default policy and the app\'s MinRetentionDays).')
@minValue(1)
param immutabilityDays int = 7

@description('Region of the isolated second copy (Backup:Copies:offsite): a second backup account there, written only by the app\'s identity. Empty for none.')
param secondaryLocation string = ''

@description('Days each blob in the second copy stays write-protected (its own policy; may exceed immutabilityDays).')
@minValue(1)
param copyImmutabilityDays int = 30

@description('Immutability policy of the second copy: Unlocked, or Locked (IRREVERSIBLE; Azure only locks an existing Unlocked policy, so deploy Unlocked first, then Locked).')
@allowed([
  'Unlocked'
  'Locked'
])
param copyImmutabilityState string = 'Unlocked'

@description('Default six-field NCRONTAB schedule of the targets (UTC), Backup:Schedule; a target may set its own.')
param backupSchedule string = '0 0 2 * * *'

@description('Backup section app settings for the targets, e.g. { "Backup__Targets__orders__Engine": "postgres", "Backup__Targets__orders__ConnectionSecret": "orders-connection" }. Secret names only.')
param backupSettings object = {}

@description('Key Vault secrets the backupSettings refer to.')
param secretNames array = []

@description('Create those secrets with placeholder values (first deployment only; then set the real values).')
param createSecretPlaceholders bool = false

@description('E-mail address for alerts; empty for none.')
param alertEmail string = ''

@description('Webhook URL for alerts; empty for none.')
@secure()
param alertWebhookUrl string = ''

var tags = {
  'azd-env-name': environmentName
  application: 'backupfunctions'
}
var token = toLower(uniqueString(subscription().id, environmentName, location))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-backupfn-${token}'
    location: location
    tags: tags
  }
}

module backupStorage 'modules/backup-storage.bicep' = {
  name: 'backup-storage'
  scope: rg
  params: {
    name: 'stbk${token}'
    location: location
    tags: tags
    redundancy: backupRedundancy
    immutabilityDays: immutabilityDays
  }
}

module copyStorage 'modules/copy-storage.bicep' = if (!empty(secondaryLocation)) {
  name: 'copy-storage'
  scope: rg
  params: {
    name: 'stcp${token}'
    location: secondaryLocation
    tags: tags
    immutabilityDays: copyImmutabilityDays
    immutabilityState: copyImmutabilityState
  }
}

module runtimeStorage 'modules/runtime-storage.bicep' = {
  name: 'runtime-storage'
  scope: rg
  params: {
    name: 'strt${token}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-backupfn-${token}'
    appInsightsName: 'appi-backupfn-${token}'
    location: location
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${token}'
    location: location
    tags: tags
    secretNames: secretNames
    createPlaceholders: createSecretPlaceholders
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    backupStorageName: backupStorage.outputs.name
    copyStorageName: empty(secondaryLocation) ? '' : copyStorage!.outputs.name
    runtimeStorageName: runtimeStorage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  dependsOn: [
    roles // the app starts with its storage, queue and secret permissions in place
  ]
  params: {
    planName: 'plan-backupfn-${token}'
    appName: 'func-backupfn-${token}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    runtimeStorageName: runtimeStorage.outputs.name
    deploymentContainerUrl: runtimeStorage.outputs.deploymentContainerUrl
    backupBlobEndpoint: backupStorage.outputs.blobEndpoint
    backupQueueEndpoint: backupStorage.outputs.queueEndpoint
    backupContainerName: backupStorage.outputs.containerName
    keyVaultUri: keyVault.outputs.uri
    appInsightsConnectionString: monitoring.outputs.connectionString
    backupSchedule: backupSchedule
    minRetentionDays: immutabilityDays
    backupSettings: backupSettings
    copyBlobEndpoint: empty(secondaryLocation) ? '' : copyStorage!.outputs.blobEndpoint
    copyContainerName: empty(secondaryLocation) ? '' : copyStorage!.outputs.containerName
    copyMinRetentionDays: copyImmutabilityDays
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    alertEmail: alertEmail
    alertWebhookUrl: alertWebhookUrl
  }
}

output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output BACKUP_BLOB_ENDPOINT string = backupStorage.outputs.blobEndpoint
output BACKUP_COPY_BLOB_ENDPOINT string = empty(secondaryLocation) ? '' : copyStorage!.outputs.blobEndpoint
output BACKUP_QUEUE_NAMES array = backupStorage.outputs.queueNames
output AZURE_KEY_VAULT_URI string = keyVault.outputs.uri
output ALERT_ACTION_GROUP_ID string = alerts.outputs.actionGroupId
output PLACEHOLDER_SECRETS array = keyVault.outputs.placeholderSecrets
