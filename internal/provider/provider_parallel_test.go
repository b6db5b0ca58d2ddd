package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestConfigureMaxParallelRequests(t *testing.T) {
	token := tftypes.NewValue(tftypes.String, "t")
	number := func(n int64) tftypes.Value { return tftypes.NewValue(tftypes.Number, n) }

	tests := []struct {
		name   string
		config tftypes.Value
		env    string
		// want is the summary and a piece of the detail of the one error, if any.
		want []string
	}{
		{name: "default"},
		{name: "configuration wins over the environment", config: number(32), env: "many"},
		{name: "from the environment", env: "1"},
		{
			name:   "out of range",
			config: number(0),
			want:   []string{"Invalid Max Parallel Requests", `configuration) is 0, which is out of range`},
		},
		{
			name: "not a number in the environment",
			env:  "many",
			want: []string{"Invalid Max Parallel Requests", `CLC_MAX_PARALLEL_REQUESTS) is "many"`},
		},
		{
			name:   "unknown at plan time",
			config: tftypes.NewValue(tftypes.Number, tftypes.UnknownValue),
			want:   []string{"Unknown Provider Attribute", `"max_parallel_requests" depends`},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv("CLC_MAX_PARALLEL_REQUESTS", tt.env)
			config := map[string]tftypes.Value{"bearer_token": token}
			if tt.config.Type() != nil {
				config["max_parallel_requests"] = tt.config
			}

			resp := configureValues(t, config)

			errs := resp.Diagnostics.Errors()
			switch {
			case len(tt.want) == 0 && len(errs) > 0:
				t.Errorf("diagnostics = %v, want none", errs)
			case len(tt.want) > 0 && (len(errs) != 1 || errs[0].Summary() != tt.want[0] ||
				!strings.Contains(errs[0].Detail(), tt.want[1])):
				t.Errorf("diagnostics = %v, want one %q containing %q", errs, tt.want[0], tt.want[1])
			}
		})
	}
}
