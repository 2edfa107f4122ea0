import { describe, expect, it } from 'vitest';
import { parseCorefile, type Corefile } from '../../../src/parse/parse-corefile.js';
import { evaluateAcl } from '../../../src/access/evaluate-dns-acl.js';

function parsed(text: string): Corefile {
  const result = parseCorefile(text);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

// The evaluator is the oracle for §5.1, so its own semantics are pinned to acl.go here.
describe('evaluateAcl (CoreDNS acl semantics)', () => {
  it('picks the server block of the longest matching zone', () => {
    const corefile = parsed(
      `. {\n acl { block }\n}\ncell {\n log\n}\nsub.cell:53 {\n acl { drop net 10.0.0.0/8 }\n}\n`,
    );
    expect(evaluateAcl(corefile, 'example.org', '10.0.0.2')).toBe('block');
    expect(evaluateAcl(corefile, 'www.cell', '10.0.0.2')).toBe('allow');
    expect(evaluateAcl(corefile, 'a.sub.cell.', '10.0.0.2')).toBe('drop');
    expect(evaluateAcl(corefile, 'a.sub.cell', '192.168.0.1')).toBe('allow');
    expect(evaluateAcl(parsed('cell {\n log\n}\n'), 'example.org', '10.0.0.2')).toBe('no-server-block');
  });

  it('stops at the first allow, so a later block never applies', () => {
    const corefile = parsed(
      'cell {\n acl a.cell. {\n  block net 10.0.0.2/32\n  allow net 0.0.0.0/0\n }\n acl a.cell. {\n  block net 10.0.0.3/32\n }\n}\n',
    );
    expect(evaluateAcl(corefile, 'a.cell', '10.0.0.2')).toBe('block');
    expect(evaluateAcl(corefile, 'a.cell', '10.0.0.3')).toBe('allow');
  });

  it('goes on to the next acl when no policy of one matches', () => {
    const corefile = parsed(
      'cell {\n acl a.cell. {\n  block net 10.0.0.2\n }\n acl {\n  filter net 10.0.0.3/32\n }\n}\n',
    );
    expect(evaluateAcl(corefile, 'a.cell', '10.0.0.3')).toBe('filter');
    expect(evaluateAcl(corefile, 'b.cell', '10.0.0.2')).toBe('allow');
  });

  it('honours type sections and subdomains of an acl zone', () => {
    const corefile = parsed('cell {\n acl a.cell. {\n  block type AAAA net *\n }\n}\n');
    expect(evaluateAcl(corefile, 'x.a.cell', '10.0.0.2', 'AAAA')).toBe('block');
    expect(evaluateAcl(corefile, 'x.a.cell', '10.0.0.2', 'A')).toBe('allow');
    expect(evaluateAcl(corefile, 'xa.cell', '10.0.0.2', 'AAAA')).toBe('allow');
  });

  it('reports what CoreDNS would refuse to load', () => {
    expect(evaluateAcl(parsed('cell {\n acl {\n  permit net *\n }\n}\n'), 'cell', '10.0.0.2')).toEqual({
      error: "line 3: unexpected acl action 'permit'",
    });
    expect(evaluateAcl(parsed('cell {\n acl {\n  block net 10.0.0.300\n }\n}\n'), 'cell', '10.0.0.2')).toEqual({
      error: "line 3: illegal CIDR notation '10.0.0.300'",
    });
  });
});
