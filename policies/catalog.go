package policies

import (
	"fmt"
	"io/fs"

	"github.com/nirnay/nirnay/rules"
)

// CatalogFile is the shipped feature catalog in FS.
const CatalogFile = "features.yaml"

// Catalog parses the shipped feature catalog (policies/features.yaml).
func Catalog() (*rules.Catalog, error) {
	data, err := fs.ReadFile(FS, CatalogFile)
	if err != nil {
		return nil, fmt.Errorf("shipped catalog: %w", err)
	}
	return rules.ParseCatalog("policies/"+CatalogFile, data)
}
