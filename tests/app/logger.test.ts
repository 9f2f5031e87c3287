// Logs are JSON for machines and readable lines for a person: the choice follows whether stdout is a terminal.
import { execFile, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createLogger, prettyStream } from '../../app/src/observability/logger.js';

const LOGGER = fileURLToPath(new URL('../../app/dist/observability/logger.js', import.meta.url));
// One line logged the way the app's primary logs, by the compiled app.
const SCRIPT = `require(${JSON.stringify(LOGGER)}).createLogger('info', { bindings: { role: 'primary' } }).info('listening')`;

const run = (file: string, args: string[]): Promise<string> =>
  new Promise((resolve, reject) => execFile(file, args, { timeout: 20_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))));

describe('the app logger', () => {
  it('writes ECS JSON when stdout is not a terminal (the container, a pipe)', async () => {
    const line = JSON.parse((await run(process.execPath, ['-e', SCRIPT])).trim()) as Record<string, unknown>;
    expect(line).to.include({ 'log.level': 'info', role: 'primary', message: 'listening' });
  });

  it('does not load pino-pretty when it writes JSON (the box pays nothing for a terminal it never has)', async () => {
    const loaded = `${SCRIPT}; console.error(Object.keys(require.cache).filter((f) => f.includes('/pino-pretty/')).length)`;
    const counted = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', loaded], { timeout: 20_000 }, (err, _out, stderr) => (err ? reject(err) : resolve(stderr.trim()))),
    );
    expect(counted).to.equal('0');
  });

  it('writes every line as it is logged, with no thread-pool hand-off (the loop may be busy right after)', async () => {
    // Two lines, then the event loop blocked for 3 s: an asynchronous destination writes the first line from the thread
    // pool, but holds the second until its completion callback runs on the (blocked) loop.
    const blocking = `const l = require(${JSON.stringify(LOGGER)}).createLogger('info'); l.info('first'); l.info('second');
      const until = Date.now() + 3000; while (Date.now() < until);`;
    const child = spawn(process.execPath, ['-e', blocking], { stdio: ['ignore', 'pipe', 'inherit'] });
    const started = Date.now();
    let out = '';
    const both = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('"second"')) resolve(Date.now() - started);
      });
      child.once('exit', () => reject(new Error(`exited having written ${JSON.stringify(out)}`)));
    });
    await new Promise((resolve) => child.once('exit', resolve));
    expect(both).to.be.below(2000);
  });

  it('writes one readable line when stdout is a terminal (npm start)', async () => {
    // util-linux `script` runs the command on a pseudo-terminal, as a shell would.
    const out = await run('script', ['-qec', `${process.execPath} -e ${JSON.stringify(SCRIPT)}`, '/dev/null']);
    const plain = stripVTControlCharacters(out).trim();
    expect(plain).to.match(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening \{"role":"primary"\}$/);
  });

  it('keeps the ECS message and level, and drops the per-line boilerplate, when pretty', async () => {
    const sink = new PassThrough();
    let text = '';
    sink.on('data', (c: Buffer) => (text += c.toString()));
    const logger = createLogger('info', { pretty: true, destination: prettyStream(sink), bindings: { role: 'worker-1' } });
    logger.warn({ url: { path: '/readyz' } }, 'database unreachable');
    await new Promise((r) => setImmediate(r));
    expect(text.trim()).to.match(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: database unreachable \{"role":"worker-1","url":\{"path":"\/readyz"\}\}$/);
    expect(text).to.not.include('ecs.version');
  });
});
