/**
 * What a KQL query assigns to a column (`Column = expression` in extend/project/summarize), read from
 * the Kusto.Language syntax tree: the string values an assignment can produce, when they are literals.
 */
import { parseKql } from './kusto.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the Bridge.NET syntax tree has no usable types here */
const kind = (n: any): string => String(n?.constructor?.$$name ?? '').replace('Kusto.Language.Syntax.', '');
const children = (n: any): any[] => Array.from({ length: n?.ChildCount ?? 0 }, (_, i) => n.GetChild(i));
const text = (n: any): string => String(n.ToString());

/** The expressions of an argument list, without separators. */
function args(call: any): any[] {
  const list = children(call).find((c) => kind(c) === 'ExpressionList');
  const elements = children(list).find((c) => kind(c).startsWith('SyntaxList'));
  return children(elements).map((e) => children(e)[0]);
}

/** Every `Name = expression` in the query, in order, as [name, expression node]. */
export function namedExpressions(query: string): [string, any][] {
  const out: [string, any][] = [];
  const walk = (n: any) => {
    if (kind(n) === 'SimpleNamedExpression') {
      const [name, , expression] = children(n);
      out.push([text(name), expression]);
    }
    for (const c of children(n)) walk(c);
  };
  walk(parseKql(query));
  return out;
}

/** The source text of an expression without whitespace and comments, for comparing two parsers. */
export function expressionText(expression: any): string {
  return text(expression);
}

/** The values an expression can take: string literals through case/iif/iff/coalesce; anything else is unknown. */
export function possibleValues(expression: any): { values: string[]; unknown: string[] } {
  const values: string[] = [];
  const unknown: string[] = [];
  const visit = (n: any) => {
    const k = kind(n);
    if (k === 'LiteralExpression') {
      const t = text(n);
      if (/^@?["']/.test(t)) values.push(t.replace(/^@/, '').slice(1, -1));
      else unknown.push(t);
    } else if (k === 'ParenthesizedExpression') visit(children(n)[1]);
    else if (k === 'FunctionCallExpression') {
      const name = text(children(n)[0]);
      const a = args(n);
      if (name === 'case') a.forEach((x, i) => (i % 2 === 1 || i === a.length - 1) && visit(x));
      else if (name === 'iif' || name === 'iff') [a[1], a[2]].forEach(visit);
      else if (name === 'coalesce') a.forEach(visit);
      else unknown.push(text(n));
    } else unknown.push(text(n));
  };
  visit(expression);
  return { values, unknown };
}
