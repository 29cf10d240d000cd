// Package policies embeds Nirnay's default bundle: the shipped policy files
// (*.yaml), the feature catalog (features.yaml), the deployments
// (deployments.yaml) and the lending products (products/*.yaml).
package policies

import "embed"

// FS holds the default bundle. Paths are relative to this directory.
//
//go:embed *.yaml products/*.yaml
var FS embed.FS
