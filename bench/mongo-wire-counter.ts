/**
 * A TCP proxy in front of the MongoDB-wire server that counts the commands every client sends (the API,
 * the worker, the bench), so per-link reads and writes are counted at the wire, not estimated.
 * Only OP_MSG (what every current driver sends) is parsed; answers pass through untouched.
 */
import net from 'node:net';
import { BSON } from 'mongodb';

const OP_MSG = 2013;
const UPDATES = new Set(['update', 'delete', 'findAndModify']);
const READS = new Set(['find', 'aggregate', 'count', 'distinct', 'getMore']);

export interface WireCounts {
  inserts: number;
  /** Updates, deletes and find-and-modifies: writes to documents that already exist. */
  updates: number;
  reads: number;
  /** `command collection {filter keys}` → count: which lookups a workload makes (and which scan). */
  shapes: Map<string, number>;
}

export interface WireCounter {
  uri: string;
  counts(): WireCounts;
  reset(): void;
  close(): Promise<void>;
}

const filterShape = (filter: unknown) =>
  filter && typeof filter === 'object' ? `{${Object.keys(filter).sort().join(',')}}` : '';

/** Starts the proxy on a free loopback port in front of `upstream` (host:port). */
export async function startWireCounter(upstream: { host: string; port: number }): Promise<WireCounter> {
  const empty = (): WireCounts => ({ inserts: 0, updates: 0, reads: 0, shapes: new Map() });
  let counts = empty();
  const record = (body: Record<string, unknown>, docs: Record<string, unknown>[]) => {
    const command = Object.keys(body)[0] ?? '?';
    if (command === 'insert') counts.inserts++;
    else if (UPDATES.has(command)) counts.updates++;
    else if (READS.has(command)) counts.reads++;
    else return;
    const target = typeof body[command] === 'string' ? body[command] : '';
    const first = docs[0] ?? (body.updates as unknown[])?.[0] ?? (body.deletes as unknown[])?.[0];
    const filter =
      command === 'find' || command === 'count' || command === 'findAndModify'
        ? (body.filter ?? body.query)
        : (first as { q?: unknown } | undefined)?.q;
    const shape = `${command} ${target} ${command === 'insert' ? '' : filterShape(filter)}`.trim();
    counts.shapes.set(shape, (counts.shapes.get(shape) ?? 0) + 1);
  };
  const parse = (message: Buffer) => {
    if (message.readInt32LE(12) !== OP_MSG) return;
    let offset = 20; // header (16) + flagBits (4)
    let body: Record<string, unknown> | undefined;
    const docs: Record<string, unknown>[] = [];
    const end = message.readInt32LE(16) & 1 ? message.length - 4 : message.length; // checksum present
    while (offset < end) {
      const kind = message[offset];
      offset += 1;
      const size = message.readInt32LE(offset);
      if (kind === 0) body = BSON.deserialize(message.subarray(offset, offset + size));
      else {
        // Kind 1: a document sequence (size, identifier, documents): the driver's insert/update batches.
        let inner = offset + 4;
        inner = message.indexOf(0, inner) + 1;
        while (inner < offset + size) {
          const docSize = message.readInt32LE(inner);
          docs.push(BSON.deserialize(message.subarray(inner, inner + docSize)));
          inner += docSize;
        }
      }
      offset += size;
    }
    if (body) record(body, docs);
  };

  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstreamSocket = net.connect(upstream);
    sockets.add(client).add(upstreamSocket);
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      upstreamSocket.write(chunk);
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 4) {
        const length = pending.readInt32LE(0);
        if (pending.length < length) break;
        try {
          parse(pending.subarray(0, length));
        } catch {
          // A message this parser does not understand is forwarded all the same, just not counted.
        }
        pending = pending.subarray(length);
      }
    });
    upstreamSocket.pipe(client);
    const close = () => {
      client.destroy();
      upstreamSocket.destroy();
      sockets.delete(client);
      sockets.delete(upstreamSocket);
    };
    client.on('error', close).on('close', close);
    upstreamSocket.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    counts: () => counts,
    reset: () => {
      counts = empty();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
