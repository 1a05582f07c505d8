// Package holidays carries the official holiday schedules shipped with
// dutybot (one YAML file a year), so a binary run outside the repository —
// the demo, say — still knows them.
package holidays

import (
	"embed"
	"io/fs"
)

//go:embed *.yaml
var files embed.FS

// Files returns the shipped schedules, named like 2026.yaml.
func Files() fs.FS { return files }
