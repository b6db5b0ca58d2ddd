# The provider logs in with Control Portal credentials and sends the bearer
# token it gets back with every Runner API call. Every argument is optional
# and can come from the environment instead, which keeps secrets out of the
# configuration:
#
#   CLC_USERNAME, CLC_PASSWORD   the Control Portal user and password
#   CLC_BEARER_TOKEN             a token from an earlier login, instead of both
#   CLC_ACCOUNT_ALIAS            the account to read, if not the user's own
#   CLC_API_URL                  the CLC v2 API that answers the login
#   CLC_RUNNER_URL               the Runner API
#
# With the environment set, an empty provider "clc" block is enough.
provider "clc" {
  username = var.clc_username
  password = var.clc_password

  # Leave both URLs out to use the public endpoints. Set them to reach
  # another deployment, such as the emulator that ships with the provider.
  # api_url    = "http://127.0.0.1:8099"
  # runner_url = "http://127.0.0.1:8099"
}

variable "clc_username" {
  description = "Control Portal user name."
  type        = string
}

variable "clc_password" {
  description = "Control Portal password."
  type        = string
  sensitive   = true
}
