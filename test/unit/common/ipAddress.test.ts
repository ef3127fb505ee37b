import { describe, expect, it } from 'vitest';
import { CidrSet, isCidr } from '../../../src/common/ipAddress.ts';

describe('CidrSet', () => {
  it('holds the addresses of its blocks and single addresses, IPv4 and IPv6', () => {
    const set = new CidrSet(['20.31.7.16/29', '10.224.0.0/16', '2001:db8::1', '2001:db8:1::/48']);
    expect(set.size).toBe(4);
    expect(set.has('20.31.7.18')).toBe(true);
    expect(set.has('20.31.7.24')).toBe(false);
    expect(set.has('10.224.200.7')).toBe(true);
    expect(set.has('2001:db8::1')).toBe(true);
    expect(set.has('2001:db8:1:ff::9')).toBe(true);
    expect(set.has('2001:db8::2')).toBe(false);
    expect(set.has('not an address')).toBe(false);
  });

  it('leaves out malformed entries, which isCidr names', () => {
    const entries = ['20.31.7.300', 'nat-gw', '10.0.0.0/33', '10.0.0.0/x', '203.0.113.9'];
    expect(entries.filter(isCidr)).toEqual(['203.0.113.9']);
    const set = new CidrSet(entries);
    expect(set.size).toBe(1);
    expect(set.has('203.0.113.9')).toBe(true);
  });
});
