/**
 * Request parameters: the defaults of each endpoint and the operations a case applies to them.
 *
 * @see [RFC 6749 §4.4.2](https://www.rfc-editor.org/rfc/rfc6749.html#section-4.4.2)
 * @module
 */
import type { Target } from '../../schema/target.ts'
import type { RequestSpec } from '../../schema/request.ts'
import { literal, type Text } from '../refs.ts'

export interface Param {
  name: string
  text: Text
}

/**
 * The token request's parameters as RFC 6749 §4.4.2 asks for them: grant_type, the first valid
 * scope, and the audience and resource the target says its server needs. Other endpoints start
 * with none.
 */
export function defaultParams(endpoint: RequestSpec['endpoint'], target: Target): Param[] {
  if (endpoint !== 'token') return []
  const params = [param('grant_type', 'client_credentials'), param('scope', target.scopes.valid[0]!)]
  if (target.audience) params.push(param('audience', target.audience))
  if (target.resource) params.push(param('resource', target.resource))
  return params
}

export function param(name: string, value: string): Param {
  return { name, text: literal(value) }
}

/**
 * Applies a case's parameter operations in a fixed order: remove, set, add, duplicate, order.
 * `render` turns a value with references into text, or says what the target lacks.
 */
export function applyParamOps(params: Param[], ops: RequestSpec['params'], render: (value: string) => Text | { missing: string }): { missing: string } | undefined {
  if (!ops) return undefined
  for (const name of ops.remove ?? []) removeAll(params, name)
  for (const [name, value] of Object.entries(ops.set ?? {})) {
    const text = render(value)
    if ('missing' in text) return text
    const at = params.findIndex((p) => p.name === name)
    removeAll(params, name)
    params.splice(at < 0 ? params.length : at, 0, { name, text })
  }
  for (const [name, value] of Object.entries(ops.add ?? {})) {
    const text = render(value)
    if ('missing' in text) return text
    params.push({ name, text })
  }
  for (const name of ops.duplicate ?? []) {
    const existing = params.find((p) => p.name === name)
    if (existing) params.push({ ...existing })
  }
  if (ops.order) {
    const rank = (p: Param) => {
      const i = ops.order!.indexOf(p.name)
      return i < 0 ? ops.order!.length : i
    }
    // A stable sort: parameters of the same rank keep their order.
    params.splice(
      0,
      params.length,
      ...params
        .map((p, i) => ({ p, i }))
        .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
        .map((x) => x.p),
    )
  }
  return undefined
}

function removeAll(params: Param[], name: string): void {
  for (let i = params.length - 1; i >= 0; i--) if (params[i]!.name === name) params.splice(i, 1)
}
