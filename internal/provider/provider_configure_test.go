package provider

import (
	"maps"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/clc-tf/terraform-provider-clc/internal/emulator"
)

// configure runs the provider's Configure with the given attributes set in
// the configuration (a nil value is unknown) and the rest null.
func configure(t *testing.T, attributes map[string]*string) *provider.ConfigureResponse {
	t.Helper()

	values := map[string]tftypes.Value{}
	for name, v := range attributes {
		if v == nil {
			values[name] = tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
		} else {
			values[name] = tftypes.NewValue(tftypes.String, *v)
		}
	}

	return configureValues(t, values)
}

// configureValues runs the provider's Configure with the given attributes
// set in the configuration and the rest null.
func configureValues(t *testing.T, attributes map[string]tftypes.Value) *provider.ConfigureResponse {
	t.Helper()
	ctx := t.Context()
	p := New("test")()

	var schemaResp provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &schemaResp)
	objectType, ok := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("the provider schema is not an object")
	}

	values := map[string]tftypes.Value{}
	for name, attributeType := range objectType.AttributeTypes {
		values[name] = tftypes.NewValue(attributeType, nil)
	}
	maps.Copy(values, attributes)

	resp := &provider.ConfigureResponse{}
	p.Configure(ctx, provider.ConfigureRequest{
		Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: tftypes.NewValue(objectType, values)},
	}, resp)

	return resp
}

func ptr(s string) *string { return &s }

// clearEnv unsets every environment variable the provider reads.
func clearEnv(t *testing.T) {
	for _, name := range []string{
		"CLC_USERNAME", "CLC_PASSWORD", "CLC_BEARER_TOKEN", "CLC_ACCOUNT_ALIAS", "CLC_ACCOUNT",
		"CLC_API_URL", "CLC_RUNNER_URL", "CLC_REQUEST_TIMEOUT", "CLC_MAX_RETRIES",
		"CLC_MAX_RESPONSE_BYTES", "CLC_CA_CERT_PEM", "CLC_INSECURE_SKIP_VERIFY", "CLC_ALLOW_INSECURE_HTTP",
		"CLC_MAX_PARALLEL_REQUESTS",
	} {
		t.Setenv(name, "")
	}
}

func TestConfigureDiagnostics(t *testing.T) {
	tests := []struct {
		name       string
		config     map[string]*string
		env        map[string]string
		wantErrors []string // summary and a piece of the detail, one pair per diagnostic
	}{
		{
			name:   "username and password from the configuration",
			config: map[string]*string{"username": ptr("u"), "password": ptr("p")},
		},
		{
			name: "everything from the environment",
			env: map[string]string{
				"CLC_USERNAME": "u", "CLC_PASSWORD": "p", "CLC_API_URL": "http://127.0.0.1:1",
				"CLC_RUNNER_URL": "http://127.0.0.1:2", "CLC_REQUEST_TIMEOUT": "5s", "CLC_ACCOUNT": "WFAQ",
			},
		},
		{
			name:   "bearer token alone",
			config: map[string]*string{"bearer_token": ptr("t")},
		},
		{
			name:       "no credentials at all",
			wantErrors: []string{"Missing CLC Credentials", "CLC_USERNAME and CLC_PASSWORD"},
		},
		{
			name:       "username without password",
			config:     map[string]*string{"username": ptr("u")},
			wantErrors: []string{"Missing CLC Credentials", "bearer_token (or CLC_BEARER_TOKEN)"},
		},
		{
			name:       "password unknown at plan time",
			config:     map[string]*string{"username": ptr("u"), "password": nil},
			wantErrors: []string{"Unknown Provider Attribute", `"password" depends on a value`},
		},
		{
			name:       "bad timeout from the environment",
			config:     map[string]*string{"bearer_token": ptr("t")},
			env:        map[string]string{"CLC_REQUEST_TIMEOUT": "-3s"},
			wantErrors: []string{"Invalid Request Timeout", "environment variable CLC_REQUEST_TIMEOUT"},
		},
		{
			name:       "bad API URL",
			config:     map[string]*string{"bearer_token": ptr("t"), "api_url": ptr("api.ctl.io")},
			wantErrors: []string{"Invalid URL", "must start with https://"},
		},
		{
			name:       "bearer token with a line break",
			env:        map[string]string{"CLC_BEARER_TOKEN": "abc\ndef"},
			wantErrors: []string{"Invalid Bearer Token", "from the environment variable CLC_BEARER_TOKEN"},
		},
		{
			name:       "empty runner URL in the configuration",
			config:     map[string]*string{"bearer_token": ptr("t"), "runner_url": ptr("")},
			env:        map[string]string{"CLC_RUNNER_URL": "http://127.0.0.1:9"},
			wantErrors: []string{"Invalid URL", "runner_url (from the provider configuration) is empty"},
		},
		{
			name:       "bad account alias from the environment",
			config:     map[string]*string{"bearer_token": ptr("t")},
			env:        map[string]string{"CLC_ACCOUNT_ALIAS": ".."},
			wantErrors: []string{"Invalid Account Alias", "environment variable CLC_ACCOUNT_ALIAS"},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}

			resp := configure(t, tt.config)

			var got []string
			for _, d := range resp.Diagnostics.Errors() {
				got = append(got, d.Summary(), d.Detail())
			}
			if len(got) != len(tt.wantErrors) {
				t.Fatalf("diagnostics = %q, want %d errors", got, len(tt.wantErrors)/2)
			}
			for i := 0; i < len(got); i += 2 {
				if got[i] != tt.wantErrors[i] || !strings.Contains(got[i+1], tt.wantErrors[i+1]) {
					t.Errorf("diagnostic %q: %q, want %q containing %q",
						got[i], got[i+1], tt.wantErrors[i], tt.wantErrors[i+1])
				}
			}
			if len(tt.wantErrors) == 0 && resp.DataSourceData == nil {
				t.Error("no client was configured")
			}
			if len(tt.wantErrors) > 0 && resp.DataSourceData != nil {
				t.Error("a client was configured despite errors")
			}
		})
	}
}

// TestConfigurationWinsOverEnvironment logs in to the emulator with the
// configured credentials while the environment holds wrong ones.
func TestConfigurationWinsOverEnvironment(t *testing.T) {
	e := emulator.StartForTest(t, emulator.Config{})
	clearEnv(t)
	t.Setenv("CLC_USERNAME", "someone-else")
	t.Setenv("CLC_PASSWORD", "wrong-password")
	t.Setenv("CLC_API_URL", "http://127.0.0.1:9") // nothing listens there
	t.Setenv("CLC_ACCOUNT_ALIAS", "ENVA")
	t.Setenv("CLC_ACCOUNT", "ENVB")
	// Username and password in the configuration: a token from the
	// environment must not replace them.
	t.Setenv("CLC_BEARER_TOKEN", "stale-token")

	resp := configure(t, map[string]*string{
		"username": ptr(emulator.DefaultUsername), "password": ptr(emulator.DefaultPassword),
		"api_url": ptr(e.URL()), "runner_url": ptr(e.URL()),
	})
	if resp.Diagnostics.HasError() {
		t.Fatalf("Configure: %v", resp.Diagnostics)
	}
	data, ok := resp.DataSourceData.(*providerData)
	if !ok {
		t.Fatalf("DataSourceData is %T", resp.DataSourceData)
	}

	if _, err := data.client.Session(t.Context()); err != nil {
		t.Fatalf("login with the configured credentials: %v", err)
	}
	alias, err := data.client.AccountAlias(t.Context())
	if err != nil || alias != "ENVA" {
		t.Errorf("account alias = %q, %v; want ENVA (CLC_ACCOUNT_ALIAS before CLC_ACCOUNT)", alias, err)
	}
	if e.Logins() != 1 {
		t.Errorf("logins = %d, want 1", e.Logins())
	}
}
