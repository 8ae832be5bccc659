/**
 * Terraform template strings as they appear in cdk.tf.json: `${var.x}` and `${type.name.attribute}` references are
 * replaced by realized values, `$${` / `%%{` escapes become literal `${` / `%{`, and anything else (functions,
 * directives, arithmetic) is refused, since the rehearsal cannot evaluate it the way Terraform would.
 */
import { UnrealizableError } from './strict-block.js';

/** Looks a reference up (`var.gateway_auth_tokens`, `docker_network.network.name`); undefined when unknown. */
export type ReferenceLookup = (reference: string) => string | number | undefined;

const REFERENCE = /^(var\.[A-Za-z_][A-Za-z0-9_-]*|[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*\.[a-z_][a-z0-9_]*)$/;

/**
 * Evaluates one template string. A string that is exactly one reference keeps the referenced value's type
 * (a number stays a number), as in Terraform.
 */
export function evaluateTemplate(template: string, lookup: ReferenceLookup, where: string): string | number {
  const whole = /^\$\{([^}]*)\}$/.exec(template);
  if (whole) return lookupReference(whole[1], lookup, where);
  let out = '';
  for (let i = 0; i < template.length;) {
    if (template.startsWith('$${', i) || template.startsWith('%%{', i)) {
      out += `${template[i]}{`;
      i += 3;
    } else if (template.startsWith('${', i)) {
      const end = template.indexOf('}', i);
      if (end < 0) throw new UnrealizableError(`${where}: unterminated \${ in ${JSON.stringify(template)}`);
      out += String(lookupReference(template.slice(i + 2, end), lookup, where));
      i = end + 1;
    } else if (template.startsWith('%{', i)) {
      throw new UnrealizableError(`${where}: template directive %{...} cannot be realized: ${JSON.stringify(template)}`);
    } else {
      out += template[i];
      i += 1;
    }
  }
  return out;
}

/** Evaluates every string inside a JSON value (objects and arrays recursively). */
export function evaluateDeep(value: unknown, lookup: ReferenceLookup, where: string): unknown {
  if (typeof value === 'string') return evaluateTemplate(value, lookup, where);
  if (Array.isArray(value)) return value.map((v, i) => evaluateDeep(v, lookup, `${where}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === '//' ? v : evaluateDeep(v, lookup, `${where}.${k}`)]));
  }
  return value;
}

function lookupReference(expression: string, lookup: ReferenceLookup, where: string): string | number {
  const ref = expression.trim();
  if (!REFERENCE.test(ref)) {
    throw new UnrealizableError(`${where}: the expression \${${expression}} is not a plain reference; the rehearsal cannot evaluate it`);
  }
  const value = lookup(ref);
  if (value === undefined) throw new UnrealizableError(`${where}: \${${ref}} refers to nothing the rehearsal has realized (yet)`);
  return value;
}
