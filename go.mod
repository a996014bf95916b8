module github.com/slackaudit/auditlogs

go 1.25
