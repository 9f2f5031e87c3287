// The box commands around the write password, as exact strings, and run for real by sh on temp files.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import { secretPresentCommand, smokeProblem, writeSmokeCommand } from '../../../scripts/lib/deploy/write-password-checks.js';

const PASSWORD = 'Zx8_q-2mN4pL7rT1vW3yB6cD9fG0hJ5kM8nP2sU4wX6';

function sh(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { env: { PATH: process.env['PATH'], ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as NodeJS.ErrnoException & { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('write password checks on the box', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pillbox-wp-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  describe('secretPresentCommand', () => {
    it('is this exact command, naming the secrets file, the entry and the fetch program', () => {
      expect(toShellLine(secretPresentCommand())).to.equal(
        `sh -c 'file=$1; name=$2; fetch=$3\ngrep -q "^$name=" "$file" && exit 0\n"$fetch" >&2 || exit 3\ngrep -q "^$name=" "$file" || { echo "$name is not in $file, nor in Parameter Store" >&2; exit 3; }\necho fetched' sh /etc/pillbox/secrets.env WRITE_PASSWORD /usr/local/sbin/pillbox-fetch-secrets`,
      );
    });

    const run = async (secrets: string, fetchScript: string) => {
      const file = join(dir, 'secrets.env');
      const fetch = join(dir, 'fetch-secrets');
      await writeFile(file, secrets);
      await writeFile(fetch, `#!/bin/sh\n${fetchScript.replace('$FILE', file)}\n`);
      await chmod(fetch, 0o755);
      const argv = secretPresentCommand('WRITE_PASSWORD', file);
      argv[argv.length - 1] = fetch;
      return sh(argv);
    };

    it('succeeds silently, fetching nothing, when secrets.env has it', async () => {
      const result = await run(`APP_DB_PASSWORD=x\nWRITE_PASSWORD=${PASSWORD}\n`, 'echo fetched-anyway >&2; exit 9');
      expect(result).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    });

    it('fetches the secrets again and says so when only Parameter Store has it', async () => {
      const result = await run('APP_DB_PASSWORD=x\nWRITE_PASSWORD_PREVIOUS=y\n', `printf 'WRITE_PASSWORD=${PASSWORD}\\n' >>"$FILE"`);
      expect(result).to.deep.equal({ code: 0, stdout: 'fetched\n', stderr: '' });
    });

    it('exits 3 naming what is missing when Parameter Store lacks it too, or the fetch fails', async () => {
      const missing = await run('APP_DB_PASSWORD=x\n', 'exit 0');
      expect(missing.code).to.equal(3);
      expect(missing.stderr).to.match(/^WRITE_PASSWORD is not in .*secrets\.env, nor in Parameter Store\n$/);
      const failed = await run('APP_DB_PASSWORD=x\n', 'echo AccessDeniedException >&2; exit 254');
      expect(failed).to.deep.equal({ code: 3, stdout: '', stderr: 'AccessDeniedException\n' });
    });
  });

  describe('writeSmokeCommand', () => {
    let server: Server;
    let seen: { method?: string; url?: string; authorization?: string; type?: string; body: string }[];
    before(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, type: req.headers['content-type'], body });
          res.writeHead(req.headers.authorization === `Bearer ${PASSWORD}` ? 422 : 401).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(async () => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => (seen = []));

    it('is this exact command: the password comes from the secrets file, never from the command', () => {
      expect(toShellLine(writeSmokeCommand())).to.equal(
        `sh -c 'file=$1; name=$2; url=$3\numask 077\ncfg=$(mktemp)\ntrap '\\''rm -f "$cfg"'\\'' EXIT\npw=$(sed -n "s/^$name=//p" "$file" | head -n 1)\n[ -n "$pw" ] || { echo "no $name in $file" >&2; exit 3; }\nprintf '\\''header = "Authorization: Bearer %s"\\n'\\'' "$pw" >"$cfg"\ncurl --silent --show-error --max-time 10 --output /dev/null --write-out '\\''%{http_code}'\\'' --config "$cfg" --header '\\''content-type: application/json'\\'' --data '\\''{}'\\'' "$url"' sh /etc/pillbox/secrets.env WRITE_PASSWORD http://127.0.0.1:8080/api/medications`,
      );
    });

    const smoke = async (secrets: string) => {
      const file = join(dir, 'secrets.env');
      await writeFile(file, secrets);
      const argv = writeSmokeCommand('WRITE_PASSWORD', file, (server.address() as AddressInfo).port);
      expect(argv.join(' ')).to.not.include(PASSWORD);
      const work = join(dir, 'tmp');
      await rm(work, { recursive: true, force: true });
      await mkdir(work);
      const result = await sh(argv, { TMPDIR: work });
      return { ...result, leftover: await readdir(work) };
    };

    it('POSTs {} through the edge as Bearer with the current password (not the previous one) and prints 422, leaving no file behind', async () => {
      const result = await smoke(`WRITE_PASSWORD_PREVIOUS=old-password-0000000000\nWRITE_PASSWORD=${PASSWORD}\n`);
      expect(result).to.deep.include({ code: 0, stdout: '422', leftover: [] });
      expect(seen).to.deep.equal([{ method: 'POST', url: '/api/medications', authorization: `Bearer ${PASSWORD}`, type: 'application/json', body: '{}' }]);
    });

    it('prints 401 when the app does not take that password', async () => {
      const result = await smoke('WRITE_PASSWORD=a-password-the-app-does-not-have\n');
      expect(result.stdout).to.equal('401');
      expect(smokeProblem(result.stdout)).to.equal("the app refused the write password in the box's secrets.env (401)");
    });

    it('exits 3 without sending anything when secrets.env has no WRITE_PASSWORD', async () => {
      const result = await smoke('APP_DB_PASSWORD=x\n');
      expect(result.code).to.equal(3);
      expect(result.stderr).to.match(/^no WRITE_PASSWORD in /);
      expect(seen).to.deep.equal([]);
    });
  });

  it('takes only 422 as proof the password works', () => {
    expect(smokeProblem('422')).to.equal(undefined);
    expect(smokeProblem('201')).to.equal('the write check through the edge answered 201, not 422');
    expect(smokeProblem('')).to.equal('the write check through the edge answered nothing, not 422');
  });
});
