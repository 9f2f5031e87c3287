// A throwaway certificate (leaf, not a CA) for tests that read certificates, made by openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM of a self-signed leaf certificate for `subject` (e.g. "/O=Let's Encrypt/CN=R11"), valid `days` from now. */
export function aLeafCertificate(subject: string, days: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'pillbox-cert-'));
  try {
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', subject, '-days', String(days), '-addext', 'basicConstraints=critical,CA:FALSE', '-keyout', join(dir, 'key.pem'), '-out', cert], { stdio: 'ignore' });
    return readFileSync(cert, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
