package provider

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/clc-tf/terraform-provider-clc/internal/runner"
)

// Bounds of the numeric transport settings.
const (
	maxMaxRetries       = 20
	maxMaxResponseBytes = 1 << 30
)

// transportSettings are the resolved retry, size, TLS and plain-HTTP settings.
type transportSettings struct {
	maxRetries         int
	maxResponseBytes   int64
	caCertPEM          string
	insecureSkipVerify bool
	allowInsecureHTTP  bool
}

// resolveTransport reads the transport settings from the configuration or
// the environment and checks them, and the URLs, against each other.
func resolveTransport(
	diags *diag.Diagnostics, config *providerModel, apiURL, runnerURL setting,
) transportSettings {
	var t transportSettings

	retries := resolveInt64(diags, "max_retries", config.MaxRetries, "CLC_MAX_RETRIES",
		runner.DefaultMaxRetries, 0, maxMaxRetries)
	t.maxRetries = int(retries)
	t.maxResponseBytes = resolveInt64(diags, "max_response_bytes", config.MaxResponseBytes,
		"CLC_MAX_RESPONSE_BYTES", runner.DefaultMaxResponseBytes, 1, maxMaxResponseBytes)
	t.insecureSkipVerify = resolveBool(diags, "insecure_skip_verify", config.InsecureSkipVerify,
		"CLC_INSECURE_SKIP_VERIFY")
	t.allowInsecureHTTP = resolveBool(diags, "allow_insecure_http", config.AllowInsecureHTTP,
		"CLC_ALLOW_INSECURE_HTTP")

	caCert := resolve("ca_cert_pem", config.CACertPEM, "CLC_CA_CERT_PEM")
	t.caCertPEM = caCert.value
	if caCert.value != "" {
		if err := runner.CheckCACertPEM(caCert.value); err != nil {
			diags.AddAttributeError(path.Root("ca_cert_pem"), "Invalid CA Certificate",
				fmt.Sprintf("The %s cannot be used: %s. Set it to the PEM text of the certificate "+
					"authority that signs the API's certificate, for example with file(\"ca.pem\").",
					caCert.describe(), err))
		}
		if t.insecureSkipVerify {
			diags.AddAttributeError(path.Root("insecure_skip_verify"), "Conflicting TLS Settings",
				fmt.Sprintf("Both the %s and insecure_skip_verify are set, but a CA certificate means "+
					"nothing when certificates are not verified. Remove insecure_skip_verify (or "+
					"CLC_INSECURE_SKIP_VERIFY) to verify against ca_cert_pem.", caCert.describe()))
		}
	}
	if t.insecureSkipVerify {
		diags.AddAttributeWarning(path.Root("insecure_skip_verify"), "TLS Certificate Verification Off",
			"insecure_skip_verify is on, so the provider accepts any certificate from the CLC and "+
				"Runner APIs: anyone on the network path could read the password and tokens. Use it "+
				"only against a test server; set ca_cert_pem instead to trust a private authority.")
	}

	for _, u := range []setting{apiURL, runnerURL} {
		if !t.allowInsecureHTTP && runner.SendsSecretsInClear(u.value) {
			diags.AddAttributeError(path.Root(u.attribute), "Insecure API URL",
				fmt.Sprintf("The %s is %q: plain http:// to a host that is not loopback would send "+
					"the password and tokens unencrypted. Use https://, or set allow_insecure_http = "+
					"true (or CLC_ALLOW_INSECURE_HTTP=true) if the network is trusted.",
					u.describe(), u.value))
		}
	}

	return t
}

// resolveInt64 takes the configured value or, when it is null, the
// environment variable, or else fallback, and checks it is within bounds.
func resolveInt64(
	diags *diag.Diagnostics, attribute string, configured types.Int64, envVar string,
	fallback, lowest, highest int64,
) int64 {
	value, source := fallback, ""
	switch raw, set := os.LookupEnv(envVar); {
	case !configured.IsNull():
		value, source = configured.ValueInt64(), "the provider configuration"
	case set && raw != "":
		source = "the environment variable " + envVar
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			diags.AddAttributeError(path.Root(attribute), "Invalid "+title(attribute),
				fmt.Sprintf("The %s (from %s) is %q, which is not a whole number. Set it to a number "+
					"from %d to %d.", attribute, source, raw, lowest, highest))
			return fallback
		}
		value = n
	}

	if value < lowest || value > highest {
		diags.AddAttributeError(path.Root(attribute), "Invalid "+title(attribute),
			fmt.Sprintf("The %s (from %s) is %d, which is out of range. Set it to a number from %d "+
				"to %d.", attribute, source, value, lowest, highest))
		return fallback
	}

	return value
}

// resolveBool takes the configured value or, when it is null, the
// environment variable, or else false.
func resolveBool(diags *diag.Diagnostics, attribute string, configured types.Bool, envVar string) bool {
	if !configured.IsNull() {
		return configured.ValueBool()
	}

	raw, set := os.LookupEnv(envVar)
	if !set || raw == "" {
		return false
	}
	value, err := strconv.ParseBool(raw)
	if err != nil {
		diags.AddAttributeError(path.Root(attribute), "Invalid "+title(attribute),
			fmt.Sprintf("The %s (from the environment variable %s) is %q, which is not a boolean. "+
				"Set it to true or false.", attribute, envVar, raw))
	}

	return value
}

// titles are the names of attributes as diagnostic summaries use them.
var titles = map[string]string{
	"max_retries":           "Maximum Retries",
	"max_response_bytes":    "Maximum Response Size",
	"insecure_skip_verify":  "Insecure Skip Verify Setting",
	"allow_insecure_http":   "Allow Insecure HTTP Setting",
	"max_parallel_requests": "Max Parallel Requests",
}

func title(attribute string) string {
	return titles[attribute]
}

// maskSecrets hides every secret in the messages and field values of the
// log lines written with ctx, and any field that by its name holds one.
func maskSecrets(ctx context.Context, secrets []string) context.Context {
	ctx = tflog.MaskAllFieldValuesStrings(ctx, secrets...)
	ctx = tflog.MaskMessageStrings(ctx, secrets...)

	return tflog.MaskFieldValuesWithFieldKeys(ctx,
		"password", "bearer_token", "token", "authorization", "Authorization")
}
