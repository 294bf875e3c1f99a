/**
 * A small evaluator of CloudWatch metric math, for one data point: enough of the language the
 * alarms use (numbers, ids, + - * /, comparisons, IF, FILL, MAX([...])) to compute what an alarm
 * would see from given input values. A missing input is undefined, and so is arithmetic on it, as
 * in CloudWatch; FILL replaces it.
 */

type Value = number | undefined;

/** The value of `expression` with each id's value from `values`, or from another expression in `expressions` (by id). */
export function evaluate(expression: string, values: Readonly<Record<string, Value>>, expressions: Readonly<Record<string, string>> = {}): Value {
  const tokens = expression.match(/\d+(?:\.\d+)?|[A-Za-z_]\w*|>=|<=|==|!=|[-+*/(),<>[\]]/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const take = (expected?: string) => {
    const token = tokens[at++];
    if (expected !== undefined && token !== expected) throw new Error(`expected ${expected} at ${at} in ${expression}, got ${token}`);
    return token;
  };
  const arithmetic = (a: Value, b: Value, op: (x: number, y: number) => number): Value => (a === undefined || b === undefined ? undefined : op(a, b));

  function primary(): Value | Value[] {
    const token = take();
    if (token === '(') {
      const inner = comparison();
      take(')');
      return inner;
    }
    if (token === '[') {
      const list: Value[] = [scalar(comparison())];
      while (peek() === ',') list.push(scalar((take(), comparison())));
      take(']');
      return list;
    }
    if (/^\d/.test(token)) return Number(token);
    if (token === 'IF' || token === 'FILL' || token === 'MAX') {
      take('(');
      const args: (Value | Value[])[] = [comparison()];
      while (peek() === ',') args.push((take(), comparison()));
      take(')');
      if (token === 'IF') return scalar(args[0]) ? scalar(args[1]) : scalar(args[2]);
      if (token === 'FILL') return scalar(args[0]) ?? scalar(args[1]);
      const list = (Array.isArray(args[0]) ? args[0] : args.map(scalar)).filter((v): v is number => v !== undefined);
      return list.length === 0 ? undefined : Math.max(...list);
    }
    if (token in expressions) return evaluate(expressions[token], values, expressions);
    if (token in values) return values[token];
    throw new Error(`unknown id ${token} in ${expression}`);
  }
  function scalar(v: Value | Value[]): Value {
    if (Array.isArray(v)) throw new Error(`a list where a number belongs in ${expression}`);
    return v;
  }
  function term(): Value {
    let value = scalar(primary());
    while (peek() === '*' || peek() === '/') {
      const op = take();
      value = arithmetic(value, scalar(primary()), op === '*' ? (x, y) => x * y : (x, y) => x / y);
    }
    return value;
  }
  function sum(): Value {
    let value = term();
    while (peek() === '+' || peek() === '-') {
      const op = take();
      value = arithmetic(value, term(), op === '+' ? (x, y) => x + y : (x, y) => x - y);
    }
    return value;
  }
  function comparison(): Value | Value[] {
    if (peek() === '[') return primary();
    const left = sum();
    const op = peek();
    if (!['>', '>=', '<', '<=', '==', '!='].includes(op)) return left;
    take();
    const right = sum();
    if (left === undefined || right === undefined) return undefined;
    const holds = { '>': left > right, '>=': left >= right, '<': left < right, '<=': left <= right, '==': left === right, '!=': left !== right }[op]!;
    return holds ? 1 : 0;
  }

  const result = scalar(comparison());
  if (at !== tokens.length) throw new Error(`unexpected ${tokens[at]} in ${expression}`);
  return result;
}
