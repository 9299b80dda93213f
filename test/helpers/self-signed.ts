import { execFileSync } from 'node:child_process';

/** A self-signed RSA certificate for `cn`, written by openssl to keyPath and certPath. */
export function selfSignedCert(o: { cn: string; keyPath: string; certPath: string; days: number }): void {
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', o.keyPath, '-out', o.certPath, '-days', String(o.days), '-subj', `/CN=${o.cn}`],
    { stdio: 'pipe' },
  );
}
