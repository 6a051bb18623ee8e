import { describe, expect, it } from 'vitest';
import { issuerProblem } from '../../../native-host/oauth/issuer-check';

const issuer = 'https://as.example';
const params = (query: string) => new URLSearchParams(query);

describe("RFC 9207 by the MCP spec's table", () => {
  const advertised = { issuer, authorization_response_iss_parameter_supported: true };
  const silent = { issuer };

  it('advertised and present: compared by simple string comparison, no normalization', () => {
    expect(issuerProblem(advertised, params(`code=c&iss=${encodeURIComponent(issuer)}`))).toBeUndefined();
    for (const other of ['https://AS.example', 'https://as.example/', 'https://as.example:443', 'https://attacker.example']) {
      expect(issuerProblem(advertised, params(`code=c&iss=${encodeURIComponent(other)}`)), other).toContain('does not match');
    }
  });

  it('advertised and absent: refused', () => {
    expect(issuerProblem(advertised, params('code=c'))).toContain('has no "iss"');
    expect(issuerProblem(advertised, params('error=access_denied'))).toContain('has no "iss"');
  });

  it('not advertised and present: still compared', () => {
    expect(issuerProblem(silent, params(`code=c&iss=${encodeURIComponent(issuer)}`))).toBeUndefined();
    expect(issuerProblem(silent, params('code=c&iss=https%3A%2F%2Fattacker.example'))).toContain('does not match');
    expect(issuerProblem({ issuer, authorization_response_iss_parameter_supported: false }, params('code=c&iss=x'))).toContain('does not match');
  });

  it('not advertised and absent: proceed', () => {
    expect(issuerProblem(silent, params('code=c'))).toBeUndefined();
    expect(issuerProblem({ issuer, authorization_response_iss_parameter_supported: false }, params('code=c'))).toBeUndefined();
  });

  it('a repeated iss is refused, even when one of them matches', () => {
    expect(issuerProblem(silent, params(`code=c&iss=${encodeURIComponent(issuer)}&iss=x`))).toContain('2 times');
  });
});
