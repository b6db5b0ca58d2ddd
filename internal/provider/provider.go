// Package provider maps between Terraform and the Runner API client: the
// provider configuration and the clc_job_executions and clc_job_execution
// data sources.
package provider

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/clc-tf/terraform-provider-clc/internal/runner"
)

var _ provider.Provider = (*clcProvider)(nil)

// New returns a function that makes the provider, for providerserver.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &clcProvider{version: version}
	}
}

type clcProvider struct {
	version string
}

type providerModel struct {
	Username       types.String `tfsdk:"username"`
	Password       types.String `tfsdk:"password"`
	BearerToken    types.String `tfsdk:"bearer_token"`
	AccountAlias   types.String `tfsdk:"account_alias"`
	APIURL         types.String `tfsdk:"api_url"`
	RunnerURL      types.String `tfsdk:"runner_url"`
	RequestTimeout types.String `tfsdk:"request_timeout"`
}

// providerData is what data sources receive from Configure.
type providerData struct {
	client *runner.Client
	// secrets are the configured password and token, masked in every log line.
	secrets []string
}

func (p *clcProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "clc"
	resp.Version = p.version
}

func (p *clcProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Reads the outcome of Ansible playbook runs in the CenturyLink Cloud Runner service. " +
			"Every attribute is optional and falls back to an environment variable.",
		Attributes: map[string]schema.Attribute{
			"username": schema.StringAttribute{
				Description: "Control Portal username used to log in. Environment variable: `CLC_USERNAME`.",
				Optional:    true,
			},
			"password": schema.StringAttribute{
				Description: "Control Portal password used to log in. Environment variable: `CLC_PASSWORD`.",
				Optional:    true,
				Sensitive:   true,
			},
			"bearer_token": schema.StringAttribute{
				Description: "A bearer token from an earlier login; when set, no login is made and " +
					"`username` and `password` are not needed. Environment variable: `CLC_BEARER_TOKEN`.",
				Optional:  true,
				Sensitive: true,
			},
			"account_alias": schema.StringAttribute{
				Description: "Short code of the account whose jobs are read, unless a data source names " +
					"another. Defaults to the account of the logged-in user. Environment variables: " +
					"`CLC_ACCOUNT_ALIAS`, then `CLC_ACCOUNT`.",
				Optional: true,
			},
			"api_url": schema.StringAttribute{
				Description: "Base URL of the CLC v2 API, where the login is made (`POST {api_url}/v2/" +
					"authentication/login`). Environment variable: `CLC_API_URL`. Default: `" +
					runner.DefaultAPIURL + "`.",
				Optional: true,
			},
			"runner_url": schema.StringAttribute{
				Description: "Base URL of the Runner API. Environment variable: `CLC_RUNNER_URL`. " +
					"Default: `" + runner.DefaultRunnerURL + "`.",
				Optional: true,
			},
			"request_timeout": schema.StringAttribute{
				Description: "How long one HTTP request may take, as a duration such as `30s` or `2m`. " +
					"Environment variable: `CLC_REQUEST_TIMEOUT`. Default: `30s`.",
				Optional: true,
			},
		},
	}
}

// setting is one provider attribute: its name, its environment variables and
// where the value came from.
type setting struct {
	attribute string
	envVars   []string
	value     string
	source    string
}

// describe says where a value came from, for diagnostics.
func (s setting) describe() string {
	return fmt.Sprintf("%s (from %s)", s.attribute, s.source)
}

// resolve takes the configured value or, when it is null, the first
// environment variable that is set.
func resolve(attribute string, configured types.String, envVars ...string) setting {
	s := setting{attribute: attribute, envVars: envVars}
	if !configured.IsNull() {
		s.value, s.source = configured.ValueString(), "the provider configuration"
		return s
	}
	for _, name := range envVars {
		if v, ok := os.LookupEnv(name); ok && v != "" {
			s.value, s.source = v, "the environment variable "+name
			return s
		}
	}

	return s
}

func (p *clcProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	for name, value := range map[string]types.String{
		"username": config.Username, "password": config.Password, "bearer_token": config.BearerToken,
		"account_alias": config.AccountAlias, "api_url": config.APIURL, "runner_url": config.RunnerURL,
		"request_timeout": config.RequestTimeout,
	} {
		if value.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown Provider Attribute",
				fmt.Sprintf("The provider attribute %q depends on a value that is not known until apply, "+
					"so the provider cannot read anything during plan. Set it from a value known at plan "+
					"time (a variable, a literal or an environment variable), or apply the resource it "+
					"depends on first with -target.", name))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	username := resolve("username", config.Username, "CLC_USERNAME")
	password := resolve("password", config.Password, "CLC_PASSWORD")
	token := resolve("bearer_token", config.BearerToken, "CLC_BEARER_TOKEN")
	alias := resolve("account_alias", config.AccountAlias, "CLC_ACCOUNT_ALIAS", "CLC_ACCOUNT")
	apiURL := resolve("api_url", config.APIURL, "CLC_API_URL")
	runnerURL := resolve("runner_url", config.RunnerURL, "CLC_RUNNER_URL")
	timeout := resolve("request_timeout", config.RequestTimeout, "CLC_REQUEST_TIMEOUT")

	ctx = tflog.MaskAllFieldValuesStrings(ctx, nonEmpty(password.value, token.value)...)

	if token.value == "" && (username.value == "" || password.value == "") {
		resp.Diagnostics.AddError("Missing CLC Credentials",
			"The provider needs either a bearer token, or a username and a password, to call the "+
				"Runner API. Set bearer_token (or CLC_BEARER_TOKEN), or set both username and password "+
				"(or CLC_USERNAME and CLC_PASSWORD), in the provider \"clc\" block or the environment.")
	}
	if alias.value != "" {
		if err := runner.CheckPathSegment(alias.value); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("account_alias"), "Invalid Account Alias",
				fmt.Sprintf("The %s is %q, which cannot be used: %s. Set it to the account's short "+
					"code, such as WFAQ.", alias.describe(), alias.value, err))
		}
	}
	for _, u := range []setting{apiURL, runnerURL} {
		if u.value == "" {
			continue
		}
		if err := runner.CheckBaseURL(u.value); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root(u.attribute), "Invalid URL",
				fmt.Sprintf("The %s is not usable: %s. Set it to a base URL such as "+
					"https://api.example.com.", u.describe(), err))
		}
	}

	requestTimeout := runner.DefaultRequestTimeout
	if timeout.value != "" {
		d, err := time.ParseDuration(timeout.value)
		if err != nil || d <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("request_timeout"), "Invalid Request Timeout",
				fmt.Sprintf("The %s is %q, which is not a positive duration. Use a number with a unit, "+
					"such as \"30s\" or \"2m\".", timeout.describe(), timeout.value))
		}
		requestTimeout = d
	}
	if resp.Diagnostics.HasError() {
		return
	}

	client, err := runner.New(runner.Config{
		APIURL:         apiURL.value,
		RunnerURL:      runnerURL.value,
		Username:       username.value,
		Password:       password.value,
		BearerToken:    token.value,
		AccountAlias:   alias.value,
		RequestTimeout: requestTimeout,
		UserAgent:      fmt.Sprintf("terraform-provider-clc/%s (+terraform %s)", p.version, req.TerraformVersion),
		Logger:         tflogLogger{},
	})
	if err != nil {
		resp.Diagnostics.AddError("Invalid Provider Configuration",
			fmt.Sprintf("The provider configuration cannot be used: %s.", err))
		return
	}

	tflog.Debug(ctx, "Configured the CLC provider", map[string]any{
		"api_url": apiURL.value, "runner_url": runnerURL.value, "account_alias": alias.value,
		"uses_bearer_token": token.value != "", "request_timeout": requestTimeout.String(),
	})

	data := &providerData{client: client, secrets: nonEmpty(password.value, token.value)}
	resp.DataSourceData = data
	resp.ResourceData = data
}

func nonEmpty(values ...string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}

	return out
}

func (p *clcProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newJobExecutionsDataSource,
		newJobExecutionDataSource,
	}
}

func (p *clcProvider) Resources(context.Context) []func() resource.Resource {
	return nil
}

// tflogLogger passes the client's log lines to tflog, which applies the
// masks set on the context.
type tflogLogger struct{}

func (tflogLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ctx, msg, fields)
}
