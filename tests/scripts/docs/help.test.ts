// Each command's --help, run as an operator runs it, against its table and the one in docs/commands.md.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { helpText, type Command } from '../../../scripts/lib/core/config.js';
import { COMMANDS } from '../../../scripts/lib/docs/commands.js';
import { COMMANDS_DOC } from '../../../scripts/lib/docs/generated-docs.js';
import { cliScripts, root } from './cli-scripts.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const run = (file: string, args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(`${root}node_modules/.bin/tsx`, [file, ...args], { cwd: root, env: { ...process.env, AWS_REGION: 'eu-west-1', PILLBOX_ENV: '' }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

/** A few at a time: the machines running the suite have two cores. */
async function helpOfEach(commands: readonly Command[]): Promise<Map<string, Run>> {
  const scripts = cliScripts();
  const out = new Map<string, Run>();
  for (let i = 0; i < commands.length; i += 4) {
    const batch = commands.slice(i, i + 4);
    const runs = await Promise.all(batch.map((c) => run(scripts.get(c.name) as string, ['--help'])));
    batch.forEach((c, j) => out.set(c.name, runs[j] as Run));
  }
  return out;
}

/** The flags of a block in the commands reference: the first cell of each row. */
function documentedFlags(command: string): string[] {
  const doc = readFileSync(`${root}${COMMANDS_DOC}`, 'utf8');
  const block = doc.slice(doc.indexOf(`<!-- flags:${command} -->`), doc.indexOf(`<!-- /flags:${command} -->`));
  return [...block.matchAll(/^\| `(--[\w-]+)/gm)].map((m) => m[1] as string);
}

describe("every command's --help", function () {
  this.timeout(240_000);
  let helps: Map<string, Run>;
  before(async () => {
    helps = await helpOfEach(COMMANDS);
  });

  it('prints the usage rendered from its field table, and exits 0', () => {
    for (const command of COMMANDS) {
      const help = helps.get(command.name) as Run;
      expect(help.code, `${command.name}: ${help.stderr}`).to.equal(0);
      expect(help.stdout, command.name).to.equal(helpText(command));
    }
  });

  it("lists the flags of the command's table in docs/commands.md, in the same order", () => {
    for (const command of COMMANDS) {
      const listed = [...(helps.get(command.name) as Run).stdout.matchAll(/^ {2}(--[\w-]+)/gm)].map((m) => m[1]);
      expect(listed.length, command.name).to.be.greaterThan(0);
      expect(documentedFlags(command.name), command.name).to.deep.equal(listed);
    }
  });
});
