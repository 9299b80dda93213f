import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain JS module shared with the demo script
import { freePort } from '../../scripts/standins.mjs';

/**
 * A Postgres of its own for a test that needs an empty database (PGlite
 * serves one database, whatever name a client asks for): the stand-ins'
 * pglite-server on a free port, with pgvector.
 *
 * In front of it, `port` is a version shim. PGlite is PostgreSQL 18; the
 * host's client tools (the test client image is made of them) are Debian's
 * 15, and pg_dump refuses a server newer than itself ("aborting because of
 * server version mismatch"). The shim rewrites the server_version the server
 * reports at startup (the ParameterStatus message of the frontend/backend
 * protocol) to 14.11, so pg_dump 15 takes its catalog queries for 14, which
 * 18 still answers (for 15 it reads pg_database.daticulocale, which 18
 * renamed).
 *
 * And COPY ... FROM STDIN, which psql and pg_restore use for every table's
 * rows: PGlite's socket server runs each protocol message on its own, so the
 * COPY ends before its first CopyData ("unexpected EOF on client connection
 * with an open transaction"). The shim answers CopyInResponse itself,
 * collects the CopyData until CopyDone ("COPY Operations" in the PostgreSQL
 * protocol chapter) and sends the rows on as one INSERT into the same
 * columns, its CommandComplete reported as COPY's; CopyFail becomes an
 * error in the same transaction. Everything else passes through unchanged. On AWS the client
 * image's major matches the engine's (src/config/db-client-image.ts), so
 * nothing like this is needed there.
 */
export async function startPgliteInstance(): Promise<{ port: number; url: string; stop: () => Promise<void> }> {
  const serverPort: number = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../scripts/pglite-server.mjs', import.meta.url)), String(serverPort)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  for (let i = 0; i < 300 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 100));
  if (!out.includes('ready')) {
    child.kill('SIGKILL');
    throw new Error(`pglite-server did not start:\n${out}`);
  }
  // A connection the server ends first is a failure a test sees only as "server closed the connection
  // unexpectedly": say why, with the server's last words, so a rare one can be read from the CI log.
  const shim = versionShim(serverPort, '14.11', (why) => process.stderr.write(`pglite instance on ${serverPort}: ${why}\n${out.slice(-2000)}\n`));
  const port: number = await new Promise((r) => shim.listen(0, '127.0.0.1', () => r((shim.address() as net.AddressInfo).port)));
  return {
    port,
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      shim.close();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

const SSL_REQUEST = 80877103;
const COPY_FROM_STDIN = /^\s*COPY\s+([\s\S]+?)\s+FROM\s+STDIN\b/i;

/** A simple-protocol Query message. */
function query(sql: string): Buffer {
  const body = Buffer.from(`${sql}\0`, 'utf8');
  const msg = Buffer.concat([Buffer.from([0x51]), Buffer.alloc(4), body]);
  msg.writeInt32BE(4 + body.length, 1);
  return msg;
}

/** COPY's text format ("COPY", File Formats, in the PostgreSQL manual): \N is NULL, backslash escapes otherwise. */
function copyField(f: string): string {
  if (f === '\\N') return 'NULL';
  const raw = f.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    const simple: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
    if (e[0] === 'x' && e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return simple[e] ?? e;
  });
  return `'${raw.replace(/'/g, "''")}'`;
}

/** The rows of a COPY as one INSERT into the same table and columns; each value goes through its type's input, as COPY's would. */
function insertFor(target: string, data: string): string {
  const rows = data
    .split('\n')
    .filter((l) => l !== '' && l !== '\\.')
    .map((l) => `(${l.split('\t').map(copyField).join(', ')})`);
  const table = target.replace(/\s*\(.*$/s, '');
  return rows.length ? `INSERT INTO ${target} VALUES ${rows.join(', ')}` : `INSERT INTO ${table} SELECT * FROM ${table} WHERE false`;
}
const GSSENC_REQUEST = 80877104;

function versionShim(target: number, version: string, onServerEnd: (why: string) => void): net.Server {
  return net.createServer((client) => {
    const server = net.connect(target, '127.0.0.1');
    // SSLRequest and GSSENCRequest are answered with one byte ('N'), not a message.
    let singleByteAnswers = 0;
    let started = false;
    let fromClient = Buffer.alloc(0);
    // COPY ... FROM STDIN: answered here, its rows collected and sent on as one INSERT (see above).
    let copy: { target: string; data: Buffer[] } | undefined;
    let copyTags = 0;
    // Set once the client sent Terminate or went: a server that closes after that is no failure.
    let clientGone = false;
    const afterStartup = () => {
      while (fromClient.length >= 5) {
        const len = fromClient.readInt32BE(1);
        if (fromClient.length < 1 + len) break;
        const msg = fromClient.subarray(0, 1 + len);
        fromClient = fromClient.subarray(1 + len);
        const type = String.fromCharCode(msg[0]!);
        // Terminate: the client is going, so the server may close first.
        if (type === 'X') clientGone = true;
        if (copy) {
          if (type === 'd') copy.data.push(msg.subarray(5));
          else if (type === 'c' || type === 'f') {
            const sql =
              type === 'c' ? insertFor(copy.target, Buffer.concat(copy.data).toString('utf8')) : "DO $$BEGIN RAISE EXCEPTION 'COPY from stdin failed'; END$$";
            if (type === 'c') copyTags++;
            server.write(query(sql));
            copy = undefined;
          }
        } else if (type === 'Q' && COPY_FROM_STDIN.test(msg.subarray(5).toString('utf8'))) {
          copy = { target: COPY_FROM_STDIN.exec(msg.subarray(5).toString('utf8'))![1]!, data: [] };
          // CopyInResponse: text format, no per-column formats (psql and pg_restore send text and read neither).
          client.write(Buffer.from([0x47, 0, 0, 0, 7, 0, 0, 0]));
        } else server.write(msg);
      }
    };
    client.on('data', (d: Buffer) => {
      fromClient = Buffer.concat([fromClient, d]);
      if (started) return afterStartup();
      while (!started && fromClient.length >= 8) {
        const len = fromClient.readInt32BE(0);
        if (fromClient.length < len) break;
        const code = fromClient.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) singleByteAnswers++;
        else started = true;
        server.write(fromClient.subarray(0, len));
        fromClient = fromClient.subarray(len);
      }
      if (started) afterStartup();
    });
    let fromServer = Buffer.alloc(0);
    server.on('data', (d: Buffer) => {
      fromServer = Buffer.concat([fromServer, d]);
      const out: Buffer[] = [];
      while (fromServer.length) {
        if (singleByteAnswers > 0) {
          out.push(fromServer.subarray(0, 1));
          fromServer = fromServer.subarray(1);
          singleByteAnswers--;
          continue;
        }
        if (fromServer.length < 5) break;
        const len = fromServer.readInt32BE(1);
        if (fromServer.length < 1 + len) break;
        let msg = fromServer.subarray(0, 1 + len);
        fromServer = fromServer.subarray(1 + len);
        if (msg[0] === 0x43 /* 'C' CommandComplete */ && copyTags > 0 && msg.subarray(5).toString('latin1').startsWith('INSERT 0 ')) {
          copyTags--;
          const body = Buffer.from(`COPY ${msg.subarray(14, msg.length - 1).toString('latin1')}\0`, 'latin1');
          msg = Buffer.concat([Buffer.from([0x43]), Buffer.alloc(4), body]);
          msg.writeInt32BE(4 + body.length, 1);
        }
        if (msg[0] === 0x53 /* 'S' ParameterStatus */ && msg.subarray(5).toString('latin1').startsWith('server_version\0')) {
          const body = Buffer.from(`server_version\0${version}\0`, 'latin1');
          msg = Buffer.concat([Buffer.from([0x53]), Buffer.alloc(4), body]);
          msg.writeInt32BE(4 + body.length, 1);
        }
        out.push(msg);
      }
      if (out.length) client.write(Buffer.concat(out));
    });
    const end = () => {
      client.destroy();
      server.destroy();
    };
    client.on('close', () => ((clientGone = true), end())).on('error', () => ((clientGone = true), end()));
    server
      .on('error', (e) => (clientGone || onServerEnd(`the connection to the server failed: ${e.message}`), (clientGone = true), end()))
      .on('close', () => (clientGone || onServerEnd('the server closed a connection its client had not'), end()));
  });
}
