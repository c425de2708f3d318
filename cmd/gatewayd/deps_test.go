package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// forbidden are import-path prefixes gatewayd must not link.
var forbidden = map[string]string{
	// About 8 MB of idle RSS (26 MB with it, 17 MB without; the target is
	// 25) and 10 MB of stripped binary; controlplane/internal/dbx covers the
	// dozen calls gatewayd makes. Tests and gatewayctl may use the SDK.
	"github.com/databricks/databricks-sdk-go": "use controlplane/internal/dbx, not the Databricks SDK",
	// The fake workspace links the SDK, and is for tests only.
	"github.com/ai-gateway/gateway/controlplane/internal/dbxfake": "dbxfake is a test fake",
}

// TestNoForbiddenDeps lists gatewayd's dependencies as built for a
// Databricks App (linux/amd64, no cgo) and for this machine, and fails on
// any package it must not link.
func TestNoForbiddenDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH")
	}
	for _, build := range []struct {
		name string
		env  []string
	}{
		{"the Databricks App build (linux/amd64)", []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"}},
		{"this machine's build", nil},
	} {
		cmd := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", ".")
		cmd.Env = append(os.Environ(), build.env...)
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("go list for %s: %v\n%s", build.name, err, stderr)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list for %s gave %d packages; the check would be vacuous", build.name, len(deps))
		}
		for _, dep := range deps {
			for prefix, why := range forbidden {
				if dep == prefix || strings.HasPrefix(dep, prefix+"/") {
					t.Errorf("%s of gatewayd links %s: %s", build.name, dep, why)
				}
			}
		}
	}
}
