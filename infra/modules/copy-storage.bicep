// The isolated second copy (Backup:Copies:offsite): its own storage account, normally in another region,
// that the app copies every verified backup into. Blob versioning, account-level version-level immutability
// with its own time-based policy (Unlocked or Locked by parameter), shared-key access off (managed identity
// only), no public access, TLS 1.2. Nothing but the app's identity writes here, and no key exists to steal.
param name string
param location string
param tags object

@description('Redundancy of the copy account; LRS or ZRS is usual, the region itself being the second copy.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param redundancy string = 'Standard_ZRS'

@description('Days each blob version in the copy stays write-protected (the account\'s default policy; the app also sets MinRetentionDays per blob).')
@minValue(1)
param immutabilityDays int

@description('Unlocked, or Locked: IRREVERSIBLE, the period can then only be extended and protected blobs cannot be deleted by anyone, the account owner included. Azure creates a policy Unlocked only, so deploy Unlocked first, then again with Locked.')
@allowed([
  'Unlocked'
  'Locked'
])
param immutabilityState string = 'Unlocked'

param containerName string = 'backups'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: redundancy
  }
  properties: {
    accessTier: 'Cool'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    immutableStorageWithVersioning: {
      enabled: true
      immutabilityPolicy: {
        immutabilityPeriodSinceCreationInDays: immutabilityDays
        allowProtectedAppendWrites: false
        state: immutabilityState
      }
    }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: 14
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 14
    }
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: containerName
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: {
      enabled: true
    }
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output containerName string = container.name
