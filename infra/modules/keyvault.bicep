// Key Vault for connection strings and encryption keys, authorised with Azure RBAC (no access
// policies). Secret values are never in these templates: with createPlaceholders, each named
// secret is created once with a placeholder value for an operator to replace (a redeploy with
// createPlaceholders=false leaves real values alone).
param name string
param location string
param tags object

@description('Names of the secrets the configuration refers to (ConnectionSecret, KeySecret, WebhookUrlSecret).')
param secretNames array = []

@description('Create each named secret with a placeholder value. Use once, on the first deployment.')
param createPlaceholders bool = false

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
  }
}

resource placeholders 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for secretName in (createPlaceholders ? secretNames : []): {
  parent: vault
  name: secretName
  properties: {
    value: 'placeholder-set-this-secret-after-deployment'
    contentType: 'placeholder'
  }
}]

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
output placeholderSecrets array = createPlaceholders ? secretNames : []
