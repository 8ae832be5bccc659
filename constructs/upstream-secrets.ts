import { TerraformVariable, Token } from 'cdktf';
import { propertyAccess } from 'cdktf/lib/tfExpression';
import { Construct } from 'constructs';
import { MCP_SERVER_SECRETS_VARIABLE } from './config/secret-references';

/** Props of {@link UpstreamSecrets}. */
export interface UpstreamSecretsProps {
  /** Secret names mcp_servers references as `{{secret:NAME}}`; each must be a key of the variable at apply time. */
  readonly names: readonly string[];
}

/**
 * The sensitive map variable `mcp_server_secrets` (`TF_VAR_mcp_server_secrets='{"NAME":"value"}'`) and one
 * reference per referenced name. The values exist only at plan/apply time: cdk.tf.json holds
 * `${var.mcp_server_secrets["NAME"]}`, never a value, and the variable's validation names a missing key before
 * anything is created.
 */
export class UpstreamSecrets extends Construct {
  /** The variable. */
  public readonly variable: TerraformVariable;
  /** Name -> reference to its value (a token; resolves at apply time). */
  public readonly references: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: UpstreamSecretsProps) {
    super(scope, id);
    const names = JSON.stringify([...props.names]);
    this.variable = new TerraformVariable(scope, MCP_SERVER_SECRETS_VARIABLE, {
      type: 'map(string)',
      sensitive: true,
      nullable: false,
      description: 'Secrets of upstream MCP servers by name, referenced as "{{secret:NAME}}" in mcp_servers. Supply with TF_VAR_mcp_server_secrets; never in a file.',
      validation: [
        {
          condition: `length(setsubtract(${names}, keys(var.${MCP_SERVER_SECRETS_VARIABLE}))) == 0`,
          errorMessage: `mcp_server_secrets must hold every secret mcp_servers references: ${props.names.join(', ')}. export TF_VAR_mcp_server_secrets='{"NAME":"<value>",...}'.`,
        },
      ],
    });
    this.references = Object.freeze(
      Object.fromEntries(props.names.map((name) => [name, Token.asString(propertyAccess(this.variable.value, [name]))])),
    );
  }
}
