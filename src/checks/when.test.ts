import { describe, expect, it } from 'vitest'
import type { When } from '../schema/expect.ts'
import { unmetCondition, type WhenFacts } from './when.ts'

const jwt = (typ?: string) => ({ value: 'a.b.c', jwt: { header: typ ? { alg: 'RS256', typ } : { alg: 'RS256' }, claims: {} } })
const facts = (over: Partial<WhenFacts> = {}): WhenFacts => ({
  profile: 'rfc6749',
  clientAuthProfile: 'oidc',
  metadata: { dpop_signing_alg_values_supported: ['ES256', 'RS256'], issuer: 'https://as.example' },
  ...over,
})

describe('when', () => {
  it.each<[string, When, Partial<WhenFacts>, string | undefined]>([
    ['no condition', {}, {}, undefined],
    ['profile held', { profile: 'rfc6749' }, {}, undefined],
    ['profile not held', { profile: 'rfc6749' }, { profile: 'oauth21' }, 'judged under the rfc6749 profile; the target uses oauth21'],
    ['one of several profiles', { profile: ['rfc6749', 'oauth21'] }, { profile: 'oauth21' }, undefined],
    ['client-auth profile', { clientAuthProfile: 'oidc' }, { clientAuthProfile: 'rfc7523' }, 'judged under the oidc client authentication profile; the target uses rfc7523'],
    ['advertised member', { advertises: ['issuer'] }, {}, undefined],
    ['member not advertised', { advertises: ['introspection_endpoint'] }, {}, 'the metadata does not advertise introspection_endpoint'],
    ['a list includes the value', { advertises: { dpop_signing_alg_values_supported: 'ES256' } }, {}, undefined],
    ['a list lacks the value', { advertises: { dpop_signing_alg_values_supported: 'EdDSA' } }, {}, 'the metadata\'s dpop_signing_alg_values_supported is ["ES256","RS256"], not "EdDSA"'],
    ['no metadata', { advertises: ['issuer'] }, { metadata: undefined }, 'no authorization server metadata was discovered'],
    ['token not judged before an answer', { token: 'jwt' }, {}, undefined],
    ['jwt held', { token: 'jwt' }, { token: jwt('at+jwt') }, undefined],
    ['jwt on an opaque token', { token: 'jwt' }, { token: { value: 'x' } }, 'the access token is opaque, not a JWT (RFC 6749 leaves the format open)'],
    ['opaque on a JWT', { token: 'opaque' }, { token: jwt() }, 'the access token is a JWT'],
    ['no token issued', { token: 'opaque' }, { token: 'none' }, 'no access token was issued'],
    ['at+jwt, any case', { token: 'at+jwt' }, { token: jwt('AT+JWT') }, undefined],
    ['at+jwt on typ JWT', { token: 'at+jwt' }, { token: jwt('JWT') }, 'the token does not declare typ at+jwt'],
    ['other-jwt on typ JWT', { token: 'other-jwt' }, { token: jwt('JWT') }, undefined],
    ['other-jwt on at+jwt', { token: 'other-jwt' }, { token: jwt('application/at+jwt') }, 'judged by the at+jwt variant'],
  ])('%s', (_name, when, over, reason) => {
    expect(unmetCondition(when, facts(over))).toBe(reason)
  })
})
