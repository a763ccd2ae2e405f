// Alerts on the app's own telemetry (README "Observability"), to an action group with an optional
// e-mail and an optional webhook:
//  - a target without a good backup for 26 hours, or no health evaluation at all for 2 hours
//    (the app itself stopped: backups that silently stop are what this exists for);
//  - any failed restore test;
//  - anything in the restore-requests-poison queue.
param location string
param tags object
param appInsightsId string

@description('E-mail address for alerts; empty for none.')
param alertEmail string

@description('Webhook for alerts (the common alert schema); empty for none.')
@secure()
param alertWebhookUrl string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-backupfn'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'backupfn'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      {
        name: 'email'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
    webhookReceivers: empty(alertWebhookUrl) ? [] : [
      {
        name: 'webhook'
        serviceUri: alertWebhookUrl
        useCommonAlertSchema: true
      }
    ]
  }
}

var rules = [
  {
    name: 'backupfn-no-good-backup-26h'
    displayName: 'backupfn: a target has no good backup for 26 hours, or the app stopped evaluating'
    severity: 1
    evaluationFrequency: 'PT1H'
    windowSize: 'P2D'
    query: '''
let evaluations = customMetrics | where name == "backupfn.target.age";
let stale = evaluations
  | summarize arg_max(timestamp, valueMax) by target = tostring(customDimensions.target)
  | where valueMax > 26
  | project target, reason = strcat("no good backup for ", round(valueMax, 1), " h");
let never = customMetrics
  | where name == "backupfn.target.status"
  | summarize arg_max(timestamp, customDimensions) by target = tostring(customDimensions.target)
  | where tostring(customDimensions.status) == "none"
  | project target, reason = "no backup yet";
let silent = evaluations
  | summarize last = max(timestamp)
  | where isnull(last) or last < ago(2h)
  | project target = "*", reason = "no health evaluation for 2 h: the app is not running";
union stale, never, silent
'''
  }
  {
    name: 'backupfn-restore-test-failed'
    displayName: 'backupfn: a restore test failed'
    severity: 1
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    query: '''
customMetrics
| where name == "backupfn.restore_test.runs" and tostring(customDimensions.outcome) == "failed"
| summarize failed = sum(valueSum) by target = tostring(customDimensions.target)
| where failed > 0
'''
  }
  {
    name: 'backupfn-restore-poison'
    displayName: 'backupfn: restore requests in the poison queue'
    severity: 2
    evaluationFrequency: 'PT1H'
    windowSize: 'PT2H'
    query: '''
customMetrics
| where name == "backupfn.restore.poison_messages"
| summarize arg_max(timestamp, valueMax)
| where valueMax > 0
'''
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for rule in rules: {
  name: rule.name
  location: location
  tags: tags
  properties: {
    displayName: rule.displayName
    severity: rule.severity
    enabled: true
    evaluationFrequency: rule.evaluationFrequency
    windowSize: rule.windowSize
    scopes: [
      appInsightsId
    ]
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}]

output actionGroupId string = actionGroup.id
