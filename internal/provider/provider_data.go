package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// dataSourceData returns the provider data a data source is configured with,
// nil before the provider is configured.
func dataSourceData(
	req datasource.ConfigureRequest, resp *datasource.ConfigureResponse,
) *providerData {
	if req.ProviderData == nil {
		return nil
	}

	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected Provider Data",
			fmt.Sprintf("The data source expected *providerData but got %T. This is a bug in the "+
				"provider; please report it.", req.ProviderData))
		return nil
	}

	return data
}

// startRead prepares a data source's read of a job: it checks that the
// provider is configured, masks the provider's secrets in every log line,
// and takes the configured account alias or else the provider's. It returns
// ctx with the masks and log fields, the alias, and false after adding a
// diagnostic.
func (p *providerData) startRead(
	ctx context.Context, diags *diag.Diagnostics, configuredAlias types.String, jobID string,
) (context.Context, string, bool) {
	if p == nil {
		diags.AddError("Provider Not Configured",
			"The clc provider was not configured before the data source was read. This is a bug in "+
				"the provider; please report it.")
		return ctx, "", false
	}
	ctx = maskSecrets(ctx, p.secrets)

	alias := configuredAlias.ValueString()
	if alias == "" {
		var err error
		alias, err = p.client.AccountAlias(ctx)
		if err != nil {
			addAPIError(diags, err, "", jobID)
			return ctx, "", false
		}
	}
	ctx = tflog.SetField(ctx, "account_alias", alias)
	ctx = tflog.SetField(ctx, "job_id", jobID)

	return ctx, alias, true
}
