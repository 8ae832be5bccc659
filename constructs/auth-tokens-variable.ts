/**
 * The sensitive Terraform variable that carries the gateway's bearer tokens (`TF_VAR_gateway_auth_tokens`), shared by
 * both targets. Its values exist only at apply time, so its grammar and the policy's token bindings are checked by
 * Terraform's variable validation, not at synth.
 */
import { TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { bindingTokenValidation, boundTokenNames } from './config/gateway-config-check';
import type { StackConfig } from './config/stack-config';

/**
 * Declares the variable `name` in `scope` (the stack). Same grammar as the gateway (name=token, token >= 16
 * characters), so a typo fails the plan rather than crash-looping the container. Without Access the tokens are the
 * only authentication: then they are required.
 */
export function authTokensVariable(scope: Construct, name: string, config: StackConfig): TerraformVariable {
  const entry = '[A-Za-z0-9._@-]{1,128}=[^,]{16,}';
  const tokensPattern = `^${entry}(,${entry})*$`;
  return new TerraformVariable(scope, name, {
    type: 'string',
    sensitive: true,
    nullable: false,
    default: '',
    description: 'Gateway bearer tokens, "name=token,name2=token2". Supply with TF_VAR_gateway_auth_tokens; never in a file.',
    validation: [
      {
        condition: config.enableTunnel
          ? `var.${name} == "" || can(regex("${tokensPattern}", var.${name}))`
          : `can(regex("${tokensPattern}", var.${name}))`,
        errorMessage: config.enableTunnel
          ? `${name} must be empty or "name=token,name2=token2" with tokens of at least 16 characters (openssl rand -hex 32).`
          : `${name} is required without the tunnel (it is the only authentication): export TF_VAR_${name}="name=<token>" with a token of at least 16 characters (openssl rand -hex 32).`,
      },
      // Token names are known only at plan time (the variable is sensitive): the policy's bindings are checked here.
      ...bindingTokenValidation(boundTokenNames(config.gatewaySettings), name),
    ],
  });
}
