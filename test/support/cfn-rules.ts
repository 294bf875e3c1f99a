/**
 * What CloudFormation checks of a template before it creates anything, as it does it: each
 * parameter's value (given, or its Default on a first deploy) against its AllowedValues,
 * AllowedPattern (matched against the whole value), MinLength and MaxLength; then every Rule whose
 * RuleCondition holds, each Assertion evaluated with the rule functions the templates use (Fn::Not,
 * Fn::And, Fn::Or, Fn::Equals, Fn::Contains, Ref). An unknown function fails the test, never passes.
 */
import { Cfn } from './resources';

/** What CloudFormation would say, one refusal per line; empty when the deploy may go ahead. */
export function refusals(template: Cfn, given: Readonly<Record<string, string>> = {}): string[] {
  const parameters: Record<string, Cfn> = template.Parameters ?? {};
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, p] of Object.entries(parameters)) {
    const value = given[name] ?? (p.Default === undefined ? undefined : String(p.Default));
    if (value === undefined) {
      problems.push(`Parameters: [${name}] must have values`);
      continue;
    }
    values[name] = value;
    const fails =
      (p.AllowedValues && !p.AllowedValues.map(String).includes(value)) ||
      (p.AllowedPattern !== undefined && !new RegExp(`^(?:${p.AllowedPattern})$`).test(value)) ||
      (p.MinLength !== undefined && value.length < Number(p.MinLength)) ||
      (p.MaxLength !== undefined && value.length > Number(p.MaxLength));
    if (fails) problems.push(`Parameter ${name} failed to satisfy constraint: ${p.ConstraintDescription ?? 'its constraints'}`);
  }
  if (problems.length > 0) return problems;
  for (const [name, rule] of Object.entries<Cfn>(template.Rules ?? {})) {
    if (rule.RuleCondition !== undefined && !truth(rule.RuleCondition, values)) continue;
    for (const assertion of rule.Assertions ?? []) {
      if (!truth(assertion.Assert, values)) problems.push(`${name}: ${assertion.AssertDescription}`);
    }
  }
  return problems;
}

function truth(expression: Cfn, values: Readonly<Record<string, string>>): boolean {
  const result = evaluate(expression, values);
  if (typeof result !== 'boolean') throw new Error(`a rule condition must be true or false, got ${JSON.stringify(result)}`);
  return result;
}

function evaluate(expression: Cfn, values: Readonly<Record<string, string>>): Cfn {
  if (typeof expression === 'string' || typeof expression === 'number') return String(expression);
  if (Array.isArray(expression)) return expression.map((e) => evaluate(e, values));
  const [fn, args] = Object.entries<Cfn>(expression)[0];
  const all = () => (args as Cfn[]).map((a) => evaluate(a, values));
  switch (fn) {
    case 'Ref':
      if (!(args in values)) throw new Error(`a rule refers to ${args}, which is not a parameter`);
      return values[args];
    case 'Fn::Not':
      return !truth(args[0], values);
    case 'Fn::And':
      return (args as Cfn[]).every((a) => truth(a, values));
    case 'Fn::Or':
      return (args as Cfn[]).some((a) => truth(a, values));
    case 'Fn::Equals': {
      const [a, b] = all();
      return a === b;
    }
    case 'Fn::Contains': {
      const [list, value] = all();
      return (list as string[]).includes(value);
    }
    default:
      throw new Error(`the rule evaluator does not know ${fn}; teach test/support/cfn-rules.ts what CloudFormation does with it`);
  }
}
