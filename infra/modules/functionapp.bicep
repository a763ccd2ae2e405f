// The Function App on a Flex Consumption plan (.NET isolated), running as the user-assigned
// identity. AzureWebJobsStorage and the BackupQueue connection are identity-based (__accountName /
// __queueServiceUri with __credential and __clientId): no storage keys anywhere.
param planName string
param appName string
param location string
param tags object
param identityId string
param identityClientId string
param runtimeStorageName string
param deploymentContainerUrl string
param backupBlobEndpoint string
param backupQueueEndpoint string
param backupContainerName string

@description('Blob endpoint of the second-copy account (Backup:Copies:offsite); empty for none.')
param copyBlobEndpoint string = ''
param copyContainerName string = ''
param copyMinRetentionDays int = 30
param keyVaultUri string
@secure()
param appInsightsConnectionString string

@description('Default six-field NCRONTAB schedule of every target (Backup:Schedule); the ScheduledBackup timer ticks every 5 minutes and starts the targets that fell due.')
param backupSchedule string

@minValue(1)
param minRetentionDays int

@description('Extra app settings for the Backup section: targets and their ConnectionSecret names (never connection strings).')
param backupSettings object

param runtimeVersion string = '10.0'
param maximumInstanceCount int = 40
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

var baseSettings = {
  AzureWebJobsStorage__accountName: runtimeStorageName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  BackupQueue__queueServiceUri: backupQueueEndpoint
  BackupQueue__credential: 'managedidentity'
  BackupQueue__clientId: identityClientId
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  Backup__Schedule: backupSchedule
  Backup__Storage__Connection: backupBlobEndpoint
  Backup__Storage__Container: backupContainerName
  Backup__Storage__Immutability__Mode: 'Required'
  Backup__Storage__Immutability__MinRetentionDays: string(minRetentionDays)
  Backup__KeyVaultUri: keyVaultUri
}

// The copy is reached with the app's identity (a blob endpoint, no key), so blobs are streamed into it.
var copySettings = empty(copyBlobEndpoint) ? {} : {
  Backup__Copies__offsite__Connection: copyBlobEndpoint
  Backup__Copies__offsite__Container: copyContainerName
  Backup__Copies__offsite__Immutability__Mode: 'Required'
  Backup__Copies__offsite__Immutability__MinRetentionDays: string(copyMinRetentionDays)
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: runtimeVersion
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: union(baseSettings, copySettings, backupSettings)
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
