// Postgres with pgvector for the stand-ins: PGlite (real Postgres compiled to
// WASM) speaking the wire protocol on 127.0.0.1:PORT. Prints "ready" once it
// accepts connections. PGlite serves one database whatever name a client asks for.
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const port = Number(process.argv[2]);
if (!port) {
  console.error('usage: node scripts/pglite-server.mjs PORT');
  process.exit(2);
}
const db = await PGlite.create({ extensions: { vector } });
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 20 });
await server.start();
console.log('ready');
const stop = async () => {
  await server.stop().catch(() => undefined);
  await db.close().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
