// Package policies embeds Nirnay's default bundle: the shipped policy files
// (*.yaml), the feature catalog (features.yaml), the deployments
// (deployments.yaml), the lending products (products/*.yaml) and the
// message templates (templates/*.yaml).
package policies

import "embed"

// FS holds the default bundle. Paths are relative to this directory.
//
//go:embed *.yaml products/*.yaml templates/*.yaml
var FS embed.FS
