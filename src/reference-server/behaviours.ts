/**
 * Provider behaviours the reference server can emulate, each from a documented fact in
 * ../shared/PROVIDERS.md and each overriding one field of the policy. They are not defects to
 * prove cases with (defects.ts): combined in emulations.ts, they make the server behave as a
 * provider is documented to.
 *
 * @module
 */
import type { Switch } from './policy.ts'

export const BEHAVIOURS = {
  'bad-secret-access-denied': { description: 'a wrong secret gets 401 access_denied "Unauthorized" (Auth0, PROVIDERS.md §2 (b))', set: { wrongSecret: 'access_denied-401' } },
  'bad-secret-unauthorized-client': { description: 'a wrong secret gets 401 unauthorized_client, without WWW-Authenticate (Keycloak, §5 (b))', set: { wrongSecret: 'unauthorized_client-401' } },
  'scope-access-denied-403': { description: 'scopes not granted to the client, and unknown ones, get 403 access_denied (Auth0, §2 (b)-(e))', set: { deniedScopes: 'access_denied-403' } },
  'restricted-scope-access-denied': { description: 'scopes denied by policy get 400 access_denied (Okta, §1 (d)(e))', set: { deniedScopes: 'access_denied' } },
  'unknown-scope-ignored': { description: 'scopes not activated for the client are ignored (Cognito, §4 (b)-(e))', set: { unknownScopes: 'ignored' } },
  'no-scope-member': { description: 'the token response never has a scope member (Auth0, Entra and Cognito samples)', set: { scopeMember: 'never' } },
  'aadsts-errors': {
    description: 'Entra-style errors: AADSTS codes and trace lines in error_description, error_codes; unknown client is unauthorized_client; a missing scope is invalid_request (§3)',
    set: { errorDialect: 'entra' },
  },
  'two-methods-401': { description: 'two authentication methods get 401 invalid_request (Okta, §1 (g))', set: { twoMethods: 'invalid_request-401' } },
  'claims-okta': { description: 'no typ; cid and scp (array) instead of client_id and scope (Okta, §1 (a))', set: { claimsDialect: 'okta' } },
  'claims-auth0': { description: 'typ JWT; azp instead of client_id; sub is "<client_id>@clients"; gty "client-credentials" (Auth0, §2 (a))', set: { claimsDialect: 'auth0' } },
  'claims-entra': { description: 'typ JWT; azp instead of client_id; roles instead of scope (Entra, §3 (a))', set: { claimsDialect: 'entra' } },
  'claims-cognito': { description: 'no typ; no aud (Cognito, §4 (a))', set: { claimsDialect: 'cognito' } },
  'claims-keycloak': { description: 'typ JWT; azp instead of client_id (Keycloak, §5 (a))', set: { claimsDialect: 'keycloak' } },
} as const satisfies Record<string, Switch>

export type Behaviour = keyof typeof BEHAVIOURS

export function isBehaviour(name: string): name is Behaviour {
  return Object.hasOwn(BEHAVIOURS, name)
}
