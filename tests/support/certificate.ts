// A throwaway certificate (leaf, not a CA) for tests that read certificates, made by openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** PEM of a leaf certificate for `cn` that was valid from `start` to `end` (openssl `ca` dates, e.g. 20260101000000Z). */
export function aCertificateValidBetween(cn: string, start: string, end: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pillbox-cert-'));
  try {
    // `openssl req -days` takes no past dates; `openssl ca` signs with any window, from a minimal CA config.
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '01\n');
    writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n');
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`, '-keyout', 'key.pem', '-out', 'req.csr']);
    run(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'key.pem', '-in', 'req.csr', '-startdate', start, '-enddate', end, '-notext', '-out', 'cert.pem']);
    return readFileSync(join(dir, 'cert.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
