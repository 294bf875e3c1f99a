/**
 * Test certificate authorities and server certificates, made with the openssl command at test time
 * in a fresh temporary directory that is removed at once: no key is ever committed or left on disk.
 * EC keys (prime256v1) keep it quick; results are cached per process.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { isIP } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';

/** How long the certificates are valid; they live only as long as the test process. */
const VALIDITY_DAYS = 2;

/** The curve of every key: quick to generate, and what a real load balancer certificate may well use. */
const CURVE = 'prime256v1';

/** What a server certificate may be used for, besides its names. */
const SERVER_EXTENSIONS = ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = serverAuth'];

/** The CA a test gets unless it asks for another by name. */
const DEFAULT_CA_NAME = 'boop-deploy test CA';

/** A server's certificate and key, PEM. */
export interface ServerCertificate {
  /** The certificate, PEM; its subject alternative names are the names it was made for. */
  readonly cert: string;
  /** The private key, PEM. */
  readonly key: string;
}

/** A certificate authority of the tests. */
export interface TestCertificateAuthority {
  /** Its certificate, PEM: what a client passes as `ca` to trust it. */
  readonly ca: string;
  /** A server certificate it signed for these DNS names or IP addresses; made once per set of names. */
  serverCertificate(...names: string[]): ServerCertificate;
}

const authorities = new Map<string, TestCertificateAuthority>();

/** The test CA called `name` (made on first use); two names are two CAs that do not trust each other. @default DEFAULT_CA_NAME */
export function testCertificateAuthority(name = DEFAULT_CA_NAME): TestCertificateAuthority {
  const known = authorities.get(name);
  if (known) return known;
  const created = inTempDir((dir) => {
    writeFileSync(join(dir, 'openssl.cnf'), requestConfig(name, ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign']));
    openssl(dir, ['req', '-x509', '-new', ...newKey('ca.key'), '-config', 'openssl.cnf', '-days', String(VALIDITY_DAYS), '-out', 'ca.pem']);
    return { cert: readFileSync(join(dir, 'ca.pem'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
  });
  const issued = new Map<string, ServerCertificate>();
  const authority: TestCertificateAuthority = {
    ca: created.cert,
    serverCertificate(...names) {
      if (names.length === 0) throw new Error('serverCertificate needs at least one DNS name or IP address');
      const cacheKey = names.join(' ');
      const cached = issued.get(cacheKey);
      if (cached) return cached;
      const certificate = issue(created, names);
      issued.set(cacheKey, certificate);
      return certificate;
    },
  };
  authorities.set(name, authority);
  return authority;
}

function issue(ca: ServerCertificate, names: readonly string[]): ServerCertificate {
  return inTempDir((dir) => {
    writeFileSync(join(dir, 'ca.pem'), ca.cert);
    writeFileSync(join(dir, 'ca.key'), ca.key, { mode: 0o600 });
    writeFileSync(join(dir, 'openssl.cnf'), requestConfig(names[0], []));
    const altNames = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(', ');
    writeFileSync(join(dir, 'server.ext'), [...SERVER_EXTENSIONS, `subjectAltName = ${altNames}`, ''].join('\n'));
    openssl(dir, ['req', '-new', ...newKey('server.key'), '-config', 'openssl.cnf', '-out', 'server.csr']);
    // A random serial: two certificates of one CA must not share one.
    const serial = `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffffff).toString(16)}`;
    const signing = ['-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial, '-days', String(VALIDITY_DAYS), '-extfile', 'server.ext'];
    openssl(dir, ['x509', '-req', '-in', 'server.csr', ...signing, '-out', 'server.pem']);
    return { cert: readFileSync(join(dir, 'server.pem'), 'utf8'), key: readFileSync(join(dir, 'server.key'), 'utf8') };
  });
}

/** An openssl config of our own, so the system's openssl.cnf cannot add or clash with extensions. */
function requestConfig(commonName: string, extensions: readonly string[]): string {
  return ['[req]', 'prompt = no', 'distinguished_name = dn', 'x509_extensions = ext', '[dn]', `CN = ${commonName}`, '[ext]', ...extensions, ''].join('\n');
}

function newKey(keyFile: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${CURVE}`, '-nodes', '-keyout', keyFile];
}

function openssl(cwd: string, args: readonly string[]): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`making test certificates needs the openssl command; "openssl ${args[0]}" failed: ${stderr || (error as Error).message}`);
  }
}

function inTempDir<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'boop-test-certificates-'));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
