// Log format (README, "Logs"): JSON lines when stdout is not a terminal, pino-pretty's coloured lines
// when it is, LOG_FORMAT=json|pretty to force either. Both formats carry the same allow-listed,
// redacted content: pretty only re-renders the JSON line.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { type ConfigError, loadConfig } from '../../src/config/config.js';
import {
  createLogger,
  createRequestLogger,
  type LogFormat,
  logFormatFor,
} from '../../src/observability/logger.js';
import { basicAuth, secretMarker } from '../support/secrets.js';

/** A stream that keeps what is written; `isTTY` as a terminal's stdout has it. */
function sink(isTTY: boolean): Writable & { text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return Object.assign(stream, { isTTY, text: () => chunks.join('') });
}

// ESC [ n m: a terminal colour sequence.
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`);

describe('log format: JSON for machines, pretty for people', () => {
  it('is chosen by the stream when LOG_FORMAT is unset, and LOG_FORMAT wins either way', () => {
    assert.equal(logFormatFor(undefined, sink(false)), 'json');
    assert.equal(logFormatFor(undefined, sink(true)), 'pretty');
    assert.equal(logFormatFor('json', sink(true)), 'json');
    assert.equal(logFormatFor('pretty', sink(false)), 'pretty');
  });

  it('LOG_FORMAT accepts json and pretty only', () => {
    assert.equal(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    assert.equal(loadConfig({ LOG_FORMAT: 'json' }).logFormat, 'json');
    assert.equal(loadConfig({}).logFormat, undefined);
    assert.throws(
      () => loadConfig({ LOG_FORMAT: 'xml' }),
      (err: ConfigError) => /LOG_FORMAT/.test(err.message),
    );
  });

  it('not a terminal: one JSON object per line', () => {
    const out = sink(false);
    createLogger('info', out).info({ component: 'probe' }, 'hello');
    const lines = out.text().trim().split('\n');
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0] ?? '');
    assert.equal(line.msg, 'hello');
    assert.equal(line.component, 'probe');
    assert.equal(line.service, 'auth-secrets');
  });

  it('a terminal: coloured, readable lines, not JSON', () => {
    const out = sink(true);
    createLogger('info', out).warn({ component: 'probe' }, 'hello there');
    const text = out.text();
    assert.match(text, ANSI_COLOUR);
    assert.match(text, /WARN/);
    assert.match(text, /hello there/);
    assert.match(text, /component/);
    assert.throws(() => JSON.parse(text.trim()));
  });

  it('LOG_FORMAT=pretty into a pipe: readable lines without colour escapes', () => {
    const out = sink(false);
    createLogger('info', out, 'pretty').info('plain');
    assert.match(out.text(), /INFO.*plain/);
    assert.doesNotMatch(out.text(), ANSI_COLOUR);
  });

  for (const format of ['json', 'pretty'] as LogFormat[]) {
    it(`${format}: redaction of hand-written lines holds`, () => {
      const out = sink(format === 'pretty');
      const token = secretMarker('access-token');
      const clientSecret = secretMarker('client-secret');
      createLogger('info', out, format).info(
        { authorization: `Bearer ${token}`, provider: { client_secret: clientSecret } },
        'careless',
      );
      const text = out.text();
      assert.ok(!text.includes(token) && !text.includes(clientSecret), text);
      assert.match(text, /\[redacted\]/);
    });

    it(`${format}: the request line holds only its allow-listed fields`, async () => {
      const out = sink(format === 'pretty');
      const apiKey = secretMarker('api-key');
      const querySecret = secretMarker('query-secret');
      const bodySecret = secretMarker('credential');
      const app = express();
      app.use(createRequestLogger(createLogger('info', out, format)));
      app.use(express.json());
      app.post('/probe', (_req, res) => void res.status(201).end());
      const res = await request(app)
        .post(`/probe?token=${querySecret}`)
        .set('Authorization', basicAuth('someone@example.test', apiKey))
        .send({ credentials: { password: bodySecret } });
      assert.equal(res.status, 201);
      const text = out.text();
      assert.match(text, /POST 201/);
      assert.match(text, /\/probe/);
      for (const secret of [apiKey, querySecret, bodySecret]) assert.ok(!text.includes(secret), text);
      assert.doesNotMatch(text, /authorization|credentials|token=/i);
    });
  }
});
