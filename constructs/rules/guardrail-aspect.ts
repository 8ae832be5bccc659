import { type IAspect, TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { StackConfigError } from '../errors';
import type { GuardrailRule, SynthesizedStack, Violation } from './guardrail-rule';

/**
 * Applies guardrail rules to a stack during synthesis and fails it (a {@link StackConfigError} listing every
 * violation) before anything is written. Add it with `Aspects.of(stack).add(new GuardrailAspect(rules))`.
 */
export class GuardrailAspect implements IAspect {
  constructor(private readonly rules: readonly GuardrailRule[]) {}

  visit(node: IConstruct): void {
    // The rules read the whole synthesized stack, so they run once, when the stack itself is visited.
    if (!TerraformStack.isStack(node)) return;
    const violations = checkStack(node.toTerraform() as SynthesizedStack, this.rules);
    if (violations.length > 0) {
      throw new StackConfigError(
        violations.map((v) => ({ key: v.ruleId, received: v.address, message: v.message })),
        `guardrails of stack ${node.node.id}`,
      );
    }
  }
}

/** Runs every rule over a synthesized stack. */
export function checkStack(stack: SynthesizedStack, rules: readonly GuardrailRule[]): Violation[] {
  return rules.flatMap((rule) => rule.check(stack));
}
