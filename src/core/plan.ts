/**
 * Validating suites into a runnable plan: the schema, then everything a schema cannot say (check
 * names and arguments, references, client roles and needs, groups, regular expressions), so that
 * a typo fails with its file, line and field before any request is sent.
 *
 * @module
 */
import { toRegExp } from '../checks/assert.ts'
import { CHECKS } from '../checks/index.ts'
import type { AnyCheckDefinition } from '../checks/types.ts'
import { ExpectSchema, OPERATORS, type Expect, type Level, type Operator, type When } from '../schema/expect.ts'
import { hasRefs, isSecretRef, nearest, parseTemplate, refSource, refType, type Ref, type RefPlace } from '../schema/refs.ts'
import { authSpec, RequestSchema, type RequestSpec } from '../schema/request.ts'
import { SuiteSchema, type Case, type Suite } from '../schema/suite.ts'
import { BUILTIN_ROLES, CAPABILITIES, isCapability } from './capabilities.ts'
import { InputInvalidError, formatPath, type InputIssue } from './errors.ts'
import { expandGroup, groupIssues, planGroupLibrary, type GroupLibrary } from './groups.ts'
import { flattenIssues } from './issues.ts'

export interface PlannedCheck {
  /** What reports name it: the check id, or the assertion's id. */
  id: string
  level: Level
  requirements: string[]
  when?: When
  /** A named check with its validated arguments … */
  def?: AnyCheckDefinition
  args?: unknown
  /** … or a generic assertion, its operand still holding references. */
  assertion?: { location: string; from?: string; operator: Operator; operand: unknown }
}

export interface PlannedStep {
  do: 'request' | 'replay' | 'inspect'
  /** How the exchange is named in reports. */
  label: string
  request?: RequestSpec
  checks: PlannedCheck[]
  /** A control step: what its acceptance shows; refused, the case stops as not measured. */
  control?: string
}

export interface PlannedCase {
  suite: Suite
  case: Case
  /** A one-request case is one request step. */
  steps: PlannedStep[]
  /** Every client role the case uses, and what it needs of the target. */
  needs: string[]
  /** References to the target the case uses: one the target lacks skips the case. */
  refs: Ref[]
  /** The case's request as the suite wrote it, for reports. */
  written?: Record<string, unknown>
}

/** Every check of a case, over all its steps. */
export function allChecks(planned: PlannedCase): PlannedCheck[] {
  return planned.steps.flatMap((s) => s.checks)
}

export interface PlannedSuite {
  suite: Suite
  file: string
  cases: PlannedCase[]
}

/** A token nobody issued, for introspection and revocation of an invalid token. */
const GARBAGE_TOKEN = 'grantcheck-garbage-token-not-issued-by-anyone'

const STEP_LABELS = { token: 'token request', introspection: 'introspection', revocation: 'revocation' } as const

type Locate = (path: PropertyKey[]) => number | undefined

/**
 * Validates parsed suite data. `locate` maps an issue path to a line of the source file, where
 * the caller can (YAML sources can; bundled JSON cannot). `groups` are the built-in groups.
 *
 * @throws InputInvalidError (`CC_SUITE_INVALID`) listing every problem with its field path.
 */
export function planSuite(data: unknown, file: string, locate?: Locate, groups: GroupLibrary = new Map()): PlannedSuite {
  const parsed = SuiteSchema.safeParse(data)
  const issues: InputIssue[] = []
  const issue = (path: PropertyKey[], message: string) => issues.push({ path: formatPath(path), message, line: locate?.(path) })
  if (!parsed.success) {
    for (const i of flattenIssues(parsed.error.issues)) issue(i.path, i.message)
    throw new InputInvalidError('CC_SUITE_INVALID', file, issues)
  }
  const suite = parsed.data
  const roles = new Set([...Object.keys(BUILTIN_ROLES), ...Object.keys(suite.roles ?? {})])
  const library = new Map(groups)
  for (const [name, g] of Object.entries(suite.groups ?? {})) {
    if (groups.has(name)) issue(['groups', name], `"${name}" is a built-in group; give yours another name`)
    for (const i of groupIssues(g, ['groups', name])) issue(i.path, i.message)
    library.set(name, g)
  }
  const raw = (data as { cases?: Array<{ request?: Record<string, unknown> }> }).cases ?? []
  const seen = new Set<string>()
  const cases = suite.cases.map((c, ci): PlannedCase => {
    if (seen.has(c.id)) issue(['cases', ci, 'id'], `duplicate case id "${c.id}"`)
    seen.add(c.id)
    const ctx = new CaseContext(roles, (path, message) => issue(['cases', ci, ...path], message))
    c.needs.forEach((n, ni) => ctx.need(n, ['needs', ni]))
    if (c.when) ctx.when(c.when, ['when'])
    const caseRequest = c.request ?? RequestSchema.parse({})
    const steps: PlannedStep[] = []
    const specs: Array<{ do: NonNullable<Case['steps']>[number]['do']; request?: RequestSpec; token?: string; control?: string; expect: Expect[]; path: PropertyKey[] }> = c.steps
      ? c.steps.map((s, si) => ({ ...s, path: ['steps', si] }))
      : [{ do: 'request', request: c.request, expect: c.expect!, path: [] }]
    specs.forEach((s, si) => {
      let request: RequestSpec | undefined
      if (s.do === 'request') {
        if (si > 0 && !s.request) ctx.issue([...s.path, 'request'], 'a later request step needs its own request')
        request = s.request ?? caseRequest
      } else if (s.do === 'introspect' || s.do === 'revoke') {
        if (si === 0 && s.token !== 'garbage') ctx.issue([...s.path, 'do'], `a case cannot start with "${s.do}" of an issued token: no token has been issued yet`)
        request = tokenRequestSugar(s.do, s.token === 'garbage', s.request ?? { ...RequestSchema.parse({}), client: caseRequest.client })
      } else if (s.do === 'replay' && si === 0) ctx.issue([...s.path, 'do'], 'a case cannot start with "replay": there is nothing to replay yet')
      if (request) ctx.request(request, s.request && c.steps ? [...s.path, 'request'] : request === caseRequest ? ['request'] : s.path, si > 0)
      const kind = s.do === 'replay' || s.do === 'inspect' ? s.do : 'request'
      steps.push({
        do: kind,
        label: kind === 'replay' ? 'the same token request again' : kind === 'inspect' ? 'metadata discovery' : STEP_LABELS[request!.endpoint],
        request,
        checks: ctx.expectations(s.expect, [...s.path, 'expect'], c, library, c.steps ? si + 1 : undefined),
        ...(s.control ? { control: s.control } : {}),
      })
    })
    return { suite, case: c, steps, needs: [...ctx.roles, ...c.needs], refs: ctx.refs, written: raw[ci]?.request }
  })
  findingIssues(suite, cases, issue)
  if (issues.length) throw new InputInvalidError('CC_SUITE_INVALID', file, issues)
  return { suite, file, cases }
}

/**
 * The request an `introspect` or `revoke` step sends: the token (the issued one, or one nobody
 * issued) and its type hint, to that endpoint, as the client the step names.
 *
 * @see [RFC 7662 §2.1](https://www.rfc-editor.org/rfc/rfc7662.html#section-2.1)
 * @see [RFC 7009 §2.1](https://www.rfc-editor.org/rfc/rfc7009.html#section-2.1)
 */
function tokenRequestSugar(kind: 'introspect' | 'revoke', garbage: boolean, base: RequestSpec): RequestSpec {
  return {
    ...base,
    endpoint: kind === 'introspect' ? 'introspection' : 'revocation',
    params: { ...base.params, set: { token: garbage ? GARBAGE_TOKEN : '${issued.access_token}', token_type_hint: 'access_token', ...base.params?.set } },
  }
}

/** Validation of one case: its roles, needs, references and expectations. */
class CaseContext {
  readonly roles = new Set<string>()
  readonly refs: Ref[] = []
  readonly #known: Set<string>
  readonly issue: (path: PropertyKey[], message: string) => void

  constructor(known: Set<string>, issue: (path: PropertyKey[], message: string) => void) {
    this.#known = known
    this.issue = issue
  }

  role(name: string, path: PropertyKey[]): void {
    if (this.#known.has(name)) {
      this.roles.add(name)
      return
    }
    const guess = nearest(name, [...this.#known])
    this.issue(path, `unknown client role "${name}"${guess ? `; did you mean "${guess}"?` : ''} (declare your own roles under "roles")`)
  }

  need(name: string, path: PropertyKey[]): void {
    if (isCapability(name) || this.#known.has(name)) return
    const guess = nearest(name, [...Object.keys(CAPABILITIES), ...this.#known])
    this.issue(path, `unknown need "${name}"${guess ? `; did you mean "${guess}"?` : ''} (needs are client roles or ${Object.keys(CAPABILITIES).join(', ')})`)
  }

  when(when: When, path: PropertyKey[]): void {
    if (when.advertises && !Array.isArray(when.advertises)) for (const [member, v] of Object.entries(when.advertises)) this.value(v, [...path, 'advertises', member], 'expect', false)
  }

  /** Checks every string of a value for references that are valid in this place. */
  value(value: unknown, path: PropertyKey[], place: RefPlace, laterStep: boolean): void {
    if (typeof value === 'string') {
      if (hasRefs(value)) this.template(value, path, place, laterStep)
    } else if (Array.isArray(value)) value.forEach((v, i) => this.value(v, [...path, i], place, laterStep))
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) this.value(v, [...path, k], place, laterStep)
  }

  template(text: string, path: PropertyKey[], place: RefPlace, laterStep: boolean): Ref[] {
    const parts = parseTemplate(text)
    if (typeof parts === 'string') {
      this.issue(path, parts)
      return []
    }
    const refs = parts.filter((p): p is Ref => typeof p !== 'string')
    const whole = parts.length === 1 && refs.length === 1
    for (const ref of refs) {
      const src = `\${${refSource(ref)}}`
      if (ref.kind === 'args') this.issue(path, `${src} stands for a group argument: it belongs in a group definition`)
      else if (ref.kind === 'key' && place !== 'jwt') this.issue(path, `${src} names the signing key of a JWT: use it in a client assertion or DPoP proof`)
      else if (place === 'expect' && isSecretRef(ref)) this.issue(path, `${src} is a secret: it can be sent, never compared or shown`)
      else if (ref.kind === 'issued.access_token' && !laterStep) this.issue(path, `${src} is the token the case's first request obtains: only later steps can send it`)
      else if (!whole && refType(ref) === 'json' && ref.kind === 'key') this.issue(path, `${src} is a JSON object: it must be the whole value, not part of a text`)
      if (ref.kind === 'client' && ref.role !== undefined) this.role(ref.role, path)
      if (!['now', 'random', 'issued.access_token', 'key', 'args'].includes(ref.kind) && !(ref.kind === 'client' && ref.field === 'secret')) this.refs.push(ref)
    }
    return refs
  }

  request(r: RequestSpec, path: PropertyKey[], laterStep: boolean): void {
    this.role(r.client, [...path, 'client'])
    if (typeof r.certificate === 'object') this.role(r.certificate.of, [...path, 'certificate', 'of'])
    const auth = authSpec(r.auth)
    const text = (v: unknown, p: PropertyKey[]) => this.value(v, [...path, ...p], 'request', laterStep)
    const jwt = (v: unknown, p: PropertyKey[]) => this.value(v, [...path, ...p], 'jwt', laterStep)
    if (auth.assertion && auth.method !== 'assertion' && auth.method !== 'registered')
      this.issue([...path, 'auth', 'assertion'], `an assertion is sent with the "assertion" method (or the registered one of a JWT client), not "${auth.method}"`)
    if (auth.encoding === 'raw' && !['basic', 'both', 'registered', 'other-than-registered'].includes(auth.method))
      this.issue([...path, 'auth', 'encoding'], '"encoding" is how Basic credentials are written; this method sends no Basic header')
    text(auth.clientId, ['auth', 'clientId'])
    text(auth.secret, ['auth', 'secret'])
    jwt(auth.assertion?.header, ['auth', 'assertion', 'header'])
    jwt(auth.assertion?.claims, ['auth', 'assertion', 'claims'])
    text(r.params?.set, ['params', 'set'])
    text(r.params?.add, ['params', 'add'])
    text(r.body?.raw, ['body', 'raw'])
    text(r.headers?.set, ['headers', 'set'])
    jwt(r.dpop?.header, ['dpop', 'header'])
    jwt(r.dpop?.claims, ['dpop', 'claims'])
  }

  /** Validates a step's expectations, expanding groups. */
  /** `step`: the step's number (1 is the first) in a case with steps; undefined in a one-request case. */
  expectations(list: Expect[], path: PropertyKey[], c: Case, groups: GroupLibrary, step?: number): PlannedCheck[] {
    const out: PlannedCheck[] = []
    const calls = new Set<string>()
    const visit = (e: Expect, at: PropertyKey[], via: string[], inherited: When | undefined) => {
      const where = (p: PropertyKey[], message: string) => this.issue([...at, ...p], via.length ? `group "${via.join('" → "')}": ${message}` : message)
      if (e.group !== undefined) {
        if (via.includes(e.group)) return where(['group'], `group "${e.group}" uses itself`)
        const expanded = expandGroup(e.group, e.args, groups)
        if ('error' in expanded) return where([expanded.field], expanded.error)
        const when = e.when || inherited ? { ...inherited, ...e.when } : undefined
        expanded.expectations.forEach((raw, k) => {
          const parsed = ExpectSchema.safeParse(raw)
          if (!parsed.success) {
            for (const i of flattenIssues(parsed.error.issues)) this.issue(at, `group "${[...via, e.group!].join('" → "')}", expectation ${k + 1}: ${formatPath(i.path) || 'it'}: ${i.message}`)
            return
          }
          visit(parsed.data, at, [...via, e.group!], when)
        })
        return
      }
      const when = e.when || inherited ? { ...inherited, ...e.when } : undefined
      if (when) this.when(when, [...at, 'when'])
      const base = { level: e.level ?? c.level, requirements: e.requirements ?? c.requirements, when }
      if (e.check !== undefined) {
        const def = CHECKS.get(e.check)
        if (!def) {
          const guess = nearest(e.check, [...CHECKS.keys()])
          return where(['check'], `unknown check "${e.check}"${guess ? `; did you mean "${guess}"?` : ''}`)
        }
        if (JSON.stringify(e.args ?? {}).includes('${')) return where(['args'], 'check arguments are literal values; references go in assertions ("that")')
        const args = def.args.safeParse(e.args ?? {})
        if (!args.success) {
          for (const i of flattenIssues(args.error.issues)) where(['args', ...i.path], i.message)
          return
        }
        const call = `${e.check} ${JSON.stringify(e.args ?? {})} ${JSON.stringify(when ?? {})}`
        if (calls.has(call)) return where([], `"${e.check}" is already called with these arguments in this step`)
        calls.add(call)
        out.push({ id: def.id, def, args: args.data, ...base })
        return
      }
      const operator = OPERATORS.find((o) => e[o] !== undefined)!
      const operand = e[operator]
      const problem =
        operator === 'sameAs'
          ? step === undefined
            ? '"sameAs" compares the answers of two steps: it goes in a case with "steps"'
            : (operand as number) >= step
              ? `"sameAs" names an earlier step: ${step === 1 ? 'step 1 has none' : `1 to ${step - 1} here`}`
              : undefined
          : this.operand(operator, operand, [...at, operator])
      if (problem) return where([operator], problem)
      const id = e.id ?? `that ${e.that}${e.from ? ` of ${e.from}` : ''}`
      const call = `${id} ${operator} ${JSON.stringify(operand)} ${JSON.stringify(when ?? {})}`
      if (calls.has(call)) return where([], 'the same assertion is already made in this step')
      calls.add(call)
      out.push({ id, assertion: { location: e.that!, from: e.from, operator, operand }, ...base })
    }
    // A case's condition on the token is judged on each answer, so each expectation inherits it.
    list.forEach((e, i) => visit(e, [...path, i], [], c.when?.token ? { token: c.when.token } : undefined))
    return out
  }

  /** What is wrong with an operand for its operator, if anything. */
  operand(op: Operator, operand: unknown, path: PropertyKey[]): string | undefined {
    const refs = typeof operand === 'string' && hasRefs(operand) ? this.template(operand, path, 'expect', true) : []
    this.value(typeof operand === 'string' ? undefined : operand, path, 'expect', true)
    const single = typeof operand === 'string' && refs.length === 1 && parseTemplate(operand).length === 1 ? refs[0] : undefined
    switch (op) {
      case 'matches':
        try {
          toRegExp(String(operand))
          return undefined
        } catch (e) {
          return `not a regular expression: ${(e as Error).message}`
        }
      case 'lessThan':
      case 'atMost':
      case 'greaterThan':
      case 'atLeast':
        if (typeof operand === 'number') return undefined
        if (single && (refType(single) === 'number' || refType(single) === 'json')) return undefined
        return `"${op}" compares numbers: give a number or a reference to one such as \${now}`
      case 'oneOf':
      case 'subsetOf':
        if (Array.isArray(operand) || typeof operand === 'string') return undefined
        return `"${op}" takes a list, or a reference to one such as \${scopes.valid}`
      default:
        return undefined
    }
  }
}

/** A finding names cases of its suite, steps they have, and a measure has one value per request. */
function findingIssues(suite: Suite, cases: PlannedCase[], issue: (path: PropertyKey[], message: string) => void): void {
  const sending = new Map(cases.map((c) => [c.case.id, c.steps.filter((st) => st.do !== 'inspect').length]))
  suite.findings?.forEach((f, fi) => {
    const at = ['findings', fi]
    if (f.measure) {
      const n = sending.get(f.measure.case)
      if (n === undefined) issue([...at, 'measure', 'case'], `no case "${f.measure.case}" in this suite`)
      else if (n !== f.measure.values.length) issue([...at, 'measure', 'values'], `"${f.measure.case}" sends ${n} request(s): give one value for each`)
    }
    f.classify?.forEach((r, ri) => {
      for (const key of ['when', 'whenAny'] as const)
        for (const ref of Object.keys(r[key] ?? {})) {
          const [id, step] = ref.split('#') as [string, string | undefined]
          const n = sending.get(id)
          if (n === undefined) issue([...at, 'classify', ri, key, ref], `no case "${id}" in this suite`)
          else if (step !== undefined && Number(step) > n) issue([...at, 'classify', ri, key, ref], `"${id}" sends ${n} request(s)`)
        }
    })
  })
}

/** Rejects two suites with the same id, which would make case ids ambiguous in reports. */
export function assertDistinctSuites(suites: PlannedSuite[]): void {
  const byId = new Map<string, string>()
  for (const s of suites) {
    const other = byId.get(s.suite.id)
    if (other) throw new InputInvalidError('CC_SUITE_INVALID', s.file, [{ path: 'id', message: `suite id "${s.suite.id}" is also used by ${other}` }])
    byId.set(s.suite.id, s.file)
  }
}

/** The built-in suites and groups as the build bundles them for the Worker and Deno (no YAML, no files). */
export interface SuiteBundle {
  groups: { file: string; data: unknown }
  suites: Array<{ file: string; data: unknown }>
}

/** Plans a bundle of suites with its groups. */
export function planBundle(bundle: SuiteBundle): PlannedSuite[] {
  const groups = planGroupLibrary(bundle.groups.data, bundle.groups.file)
  return bundle.suites.map((s) => planSuite(s.data, s.file, undefined, groups))
}
