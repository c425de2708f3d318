// Package databricksapp holds the tests of what ships gatewayd as a
// Databricks App: app.yaml at the repository root, its start command and
// hack/deploy-databricks.sh. It has no code of its own.
package databricksapp
