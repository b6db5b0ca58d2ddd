package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
)

// protoV6ProviderFactories serves the provider in-process to the Terraform
// CLI that terraform-plugin-testing runs.
var protoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"clc": providerserver.NewProtocol6WithError(New("test")()),
}

// TestMain keeps acceptance tests offline: the Terraform CLI never calls
// HashiCorp's version check, and terraform-plugin-testing never downloads a
// CLI, because TF_ACC_TERRAFORM_PATH always names one that is installed.
func TestMain(m *testing.M) {
	if err := os.Setenv("CHECKPOINT_DISABLE", "1"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	// Every test configures the provider itself; the shell's CLC_* settings
	// (a token, an account, a timeout) must not change what it reads.
	for _, entry := range os.Environ() {
		if name, _, _ := strings.Cut(entry, "="); strings.HasPrefix(name, "CLC_") {
			if err := os.Unsetenv(name); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}

	if os.Getenv("TF_ACC") != "" && os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		terraform, err := exec.LookPath("terraform")
		if err != nil {
			candidate, _ := filepath.Abs("../../bin/terraform")
			if _, statErr := os.Stat(candidate); statErr != nil {
				fmt.Fprintln(os.Stderr, "Acceptance tests need a Terraform CLI: run them with "+
					"`make test`, which installs one into bin/, or put terraform on PATH.")
				os.Exit(1)
			}
			terraform = candidate
		}
		if err := os.Setenv("TF_ACC_TERRAFORM_PATH", terraform); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}

	os.Exit(m.Run())
}

// startEmulator starts a Runner emulator with the embedded fixtures plus jobs.
func startEmulator(t *testing.T, jobs ...emulator.Job) *emulator.Server {
	t.Helper()

	return startEmulatorWith(t, emulator.Config{}, jobs...)
}

// providerConfig is a provider block that logs in to the emulator.
func providerConfig(e *emulator.Server) string {
	return loginBlock(e.URL())
}

// loginBlock is a provider block that logs in as the emulator's default user
// at url, for both APIs, with extra arguments.
func loginBlock(url string, extra ...string) string {
	return fmt.Sprintf(`
provider "clc" {
  api_url    = %q
  runner_url = %q
  username   = %q
  password   = %q
  %s
}
`, url, url, emulator.DefaultUsername, emulator.DefaultPassword, strings.Join(extra, "\n  "))
}

// readers is a provider block for the emulator and n data sources that each
// read apiPageJob.
func readers(e *emulator.Server, n int) string {
	var config strings.Builder
	config.WriteString(providerConfig(e))
	for i := range n {
		fmt.Fprintf(&config, "data \"clc_job_executions\" \"r%d\" {\n  job_id = %q\n}\n", i, apiPageJob)
	}

	return config.String()
}
