package registry

import (
	"strings"

	"github.com/portolan-dev/portolan"
)

// commonNames are the names people type for a common use besides its
// label: "postgres" for postgresql, "mongo" for mongodb.
var commonNames = map[string]string{
	"postgres":       "postgresql",
	"pg":             "postgresql",
	"mongo":          "mongodb",
	"elastic":        "elasticsearch",
	"opensearch":     "elasticsearch",
	"mariadb":        "mysql",
	"sqlserver":      "mssql",
	"oracle":         "oracle-db",
	"k8s-api":        "kube-apiserver",
	"kubernetes":     "kube-apiserver",
	"next":           "node-dev",
	"express":        "node-dev",
	"rails":          "node-dev",
	"remote-desktop": "rdp",
	"valkey":         "redis",
}

// CommonUsesNamed returns the common uses labelled name, in any case, or
// known by it ("postgres" is postgresql's).
func (r *Registry) CommonUsesNamed(name string) []portolan.CommonUse {
	return CommonUsesNamed(name)
}

// CommonUsesNamed is the method without a registry.
func CommonUsesNamed(name string) []portolan.CommonUse {
	if label, ok := commonNames[strings.ToLower(name)]; ok {
		name = label
	}
	var out []portolan.CommonUse
	for _, c := range commonUses {
		if strings.EqualFold(c.Name, name) {
			out = append(out, c)
		}
	}
	return out
}
