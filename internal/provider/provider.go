// Package provider maps between Terraform and the Runner API client: the
// provider configuration and the clc_job_executions and clc_job_execution
// data sources.
package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/attr"
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

	MaxRetries         types.Int64  `tfsdk:"max_retries"`
	MaxResponseBytes   types.Int64  `tfsdk:"max_response_bytes"`
	CACertPEM          types.String `tfsdk:"ca_cert_pem"`
	InsecureSkipVerify types.Bool   `tfsdk:"insecure_skip_verify"`
	AllowInsecureHTTP  types.Bool   `tfsdk:"allow_insecure_http"`

	MaxParallelRequests types.Int64 `tfsdk:"max_parallel_requests"`
}

// providerData is what data sources receive from Configure.
type providerData struct {
	client *runner.Client
	// secrets are the configured password and token, masked in every log line.
	secrets []string
}

func (p *clcProvider) Metadata(
	_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse,
) {
	resp.TypeName = "clc"
	resp.Version = p.version
}

func (p *clcProvider) Schema(
	_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse,
) {
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
				Description: "How long one attempt of an HTTP request may take, answer included, as a " +
					"duration such as `30s` or `2m`; an attempt that runs out of time is retried like " +
					"a broken connection. Environment variable: `CLC_REQUEST_TIMEOUT`. Default: `30s`.",
				Optional: true,
			},
			"max_retries": schema.Int64Attribute{
				Description: "How many times a failed request is tried again, from 0 to 20: after a " +
					"connection error, a timeout, an answer cut off halfway, or HTTP 429, 502, 503 or " +
					"504. The wait between tries doubles from about a second, with random jitter, up " +
					"to 30 seconds, or is what the API's `Retry-After` asks for (up to two minutes). " +
					"Other answers are never retried. Environment variable: `CLC_MAX_RETRIES`. " +
					"Default: `4`.",
				Optional: true,
			},
			"max_response_bytes": schema.Int64Attribute{
				Description: "Largest answer, in bytes, the provider reads from the API; a larger one " +
					"is refused with an error. Environment variable: `CLC_MAX_RESPONSE_BYTES`. " +
					"Default: `67108864` (64 MiB).",
				Optional: true,
			},
			"ca_cert_pem": schema.StringAttribute{
				Description: "PEM-encoded certificates of the authorities that sign the API's TLS " +
					"certificates, trusted instead of the system's. Conflicts with " +
					"`insecure_skip_verify`. Environment variable: `CLC_CA_CERT_PEM`.",
				Optional: true,
			},
			"insecure_skip_verify": schema.BoolAttribute{
				Description: "Accept any TLS certificate from the API, without verification. Only " +
					"for tests: anyone on the network path could read the credentials. The provider " +
					"warns when it is on. Environment variable: `CLC_INSECURE_SKIP_VERIFY`. Default: " +
					"`false`.",
				Optional: true,
			},
			"allow_insecure_http": schema.BoolAttribute{
				Description: "Allow `api_url` and `runner_url` to use plain `http://` to a host " +
					"that is not loopback, which sends the password and tokens unencrypted. Plain " +
					"`http://` to `127.0.0.1`, `::1` or `localhost` is always allowed. Environment " +
					"variable: `CLC_ALLOW_INSECURE_HTTP`. Default: `false`.",
				Optional: true,
			},
			"max_parallel_requests": schema.Int64Attribute{
				Description: fmt.Sprintf("How many pages of one job's executions are requested at once "+
					"after the first page, from 1 to %d. Environment variable: "+
					"`CLC_MAX_PARALLEL_REQUESTS`. Default: `%d`.",
					runner.MaxParallelRequestsLimit, runner.DefaultMaxParallelRequests),
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

func (p *clcProvider) Configure(
	ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse,
) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	for name, value := range map[string]attr.Value{
		"username": config.Username, "password": config.Password, "bearer_token": config.BearerToken,
		"account_alias": config.AccountAlias, "api_url": config.APIURL, "runner_url": config.RunnerURL,
		"request_timeout": config.RequestTimeout, "max_retries": config.MaxRetries,
		"max_response_bytes": config.MaxResponseBytes, "ca_cert_pem": config.CACertPEM,
		"insecure_skip_verify": config.InsecureSkipVerify, "allow_insecure_http": config.AllowInsecureHTTP,
		"max_parallel_requests": config.MaxParallelRequests,
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

	// Credentials come as a set: username and password in the configuration
	// are not overridden by a token from the environment.
	loginConfigured := !config.Username.IsNull() || !config.Password.IsNull()
	if token.source != "the provider configuration" && loginConfigured {
		token = setting{attribute: token.attribute, envVars: token.envVars}
	}

	ctx = maskSecrets(ctx, nonEmpty(password.value, token.value))

	if token.value == "" && (username.value == "" || password.value == "") {
		resp.Diagnostics.AddError("Missing CLC Credentials",
			"The provider needs either a bearer token, or a username and a password, to call the "+
				"Runner API. Set bearer_token (or CLC_BEARER_TOKEN), or set both username and password "+
				"(or CLC_USERNAME and CLC_PASSWORD), in the provider \"clc\" block or the environment.")
	}
	unsendable := func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }
	if strings.ContainsFunc(token.value, unsendable) {
		// The value itself is a secret: the detail names only where it came from.
		resp.Diagnostics.AddAttributeError(path.Root("bearer_token"), "Invalid Bearer Token",
			fmt.Sprintf("The bearer token from %s holds white space or control characters, so it "+
				"cannot be sent in an Authorization header. Copy the token again, without line "+
				"breaks or spaces.", token.source))
	}
	if alias.value != "" {
		if err := runner.CheckPathSegment(alias.value); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("account_alias"), "Invalid Account Alias",
				fmt.Sprintf("The %s is %q, which cannot be used: %s. Set it to the account's short "+
					"code, such as WFAQ.", alias.describe(), alias.value, err))
		}
	}
	for _, u := range []setting{apiURL, runnerURL} {
		if u.value == "" && u.source != "" {
			resp.Diagnostics.AddAttributeError(path.Root(u.attribute), "Invalid URL",
				fmt.Sprintf("The %s is empty. Remove it to use %s or the default, or set it to a "+
					"base URL such as https://api.example.com.", u.describe(), u.envVars[0]))
			continue
		}
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
	transport := resolveTransport(&resp.Diagnostics, &config, apiURL, runnerURL)
	parallel := int(resolveInt64(&resp.Diagnostics, "max_parallel_requests", config.MaxParallelRequests,
		"CLC_MAX_PARALLEL_REQUESTS", runner.DefaultMaxParallelRequests, 1, runner.MaxParallelRequestsLimit))
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
		UserAgent: fmt.Sprintf("terraform-provider-clc/%s (+terraform %s)",
			p.version, req.TerraformVersion),
		Logger: tflogLogger{},

		MaxRetries:         transport.maxRetries,
		MaxResponseBytes:   transport.maxResponseBytes,
		CACertPEM:          transport.caCertPEM,
		InsecureSkipVerify: transport.insecureSkipVerify,
		AllowInsecureHTTP:  transport.allowInsecureHTTP,

		MaxParallelRequests: parallel,
	})
	if err != nil {
		resp.Diagnostics.AddError("Invalid Provider Configuration",
			fmt.Sprintf("The provider configuration cannot be used: %s.", err))
		return
	}

	tflog.Debug(ctx, "Configured the CLC provider", map[string]any{
		"api_url": apiURL.value, "runner_url": runnerURL.value, "account_alias": alias.value,
		"uses_bearer_token": token.value != "", "request_timeout": requestTimeout.String(),
		"max_retries": transport.maxRetries, "max_response_bytes": transport.maxResponseBytes,
		"has_ca_cert_pem": transport.caCertPEM != "", "insecure_skip_verify": transport.insecureSkipVerify,
		"allow_insecure_http": transport.allowInsecureHTTP, "max_parallel_requests": parallel,
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
	// NOTE: tflog masks the fields stored in ctx in place, and the client
	// logs from several goroutines that share one ctx while it reads pages,
	// which crashes with concurrent map writes (terraform-plugin-log issue
	// 246). SetField copies those fields, so each call masks its own copy.
	for key, value := range fields {
		ctx = tflog.SetField(ctx, key, value)
	}
	tflog.Debug(ctx, msg)
}
