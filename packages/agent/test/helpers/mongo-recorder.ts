import net from "node:net";

import { deserialize, serialize, type Document } from "bson";

/** Wire protocol opcodes that the driver sends (MongoDB wire protocol: OP_MSG 2013, legacy OP_QUERY 2004). */
const opMsg = 2013;
const opQuery = 2004;
const opReply = 1;

/** Commands the recorder replies to so that the driver considers the server available. */
const handshakeCommands = new Set(["hello", "ismaster", "isMaster"]);

/** One command that reached the recorder, decoded from its OP_MSG body. */
export interface RecordedCommand {
  readonly name: string;
  readonly body: Document;
}

/**
 * A loopback TCP listener that records every MongoDB command a driver sends. It replies only to the
 * handshake (`hello`), with the smallest reply that makes a driver select it as a standalone
 * server, plus `endSessions` so that `client.close()` returns at once. Every other command is
 * recorded and never answered, so no query ever gets a result: a test sees whether a call reached
 * the wire, and the call itself waits until the client's `timeoutMS`.
 */
export class MongoRecorder {
  readonly commands: RecordedCommand[] = [];
  /** Bytes received on all connections, handshakes included. */
  receivedBytes = 0;
  private readonly server = net.createServer((socket) => this.accept(socket));
  private readonly sockets = new Set<net.Socket>();
  private nextRequestId = 1;

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as net.AddressInfo;
    return `mongodb://127.0.0.1:${port}/?directConnection=true`;
  }

  /** Commands other than the handshake and session cleanup, optionally only those named `name`. */
  operations(name?: string): RecordedCommand[] {
    return this.commands.filter(
      (command) =>
        !handshakeCommands.has(command.name) &&
        command.name !== "endSessions" &&
        (name === undefined || command.name === name),
    );
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());

    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= buffered.readInt32LE(0)) {
        const length = buffered.readInt32LE(0);
        this.handleMessage(socket, buffered.subarray(0, length));
        buffered = buffered.subarray(length);
      }
    });
  }

  private handleMessage(socket: net.Socket, message: Buffer): void {
    const requestId = message.readInt32LE(4);
    const opCode = message.readInt32LE(12);
    const body =
      opCode === opMsg
        ? readOpMsgBody(message)
        : opCode === opQuery
          ? readOpQueryBody(message)
          : undefined;
    if (body === undefined) return;

    const name = Object.keys(body)[0] ?? "";
    this.commands.push({ name, body });

    if (handshakeCommands.has(name)) this.reply(socket, requestId, opCode, helloReply());
    else if (name === "endSessions") this.reply(socket, requestId, opCode, { ok: 1 });
  }

  private reply(
    socket: net.Socket,
    responseTo: number,
    requestOpCode: number,
    document: Document,
  ): void {
    const bson = serialize(document);
    const payload =
      requestOpCode === opMsg
        ? Buffer.concat([int32(0), Buffer.from([0]), bson])
        : Buffer.concat([int32(0), Buffer.alloc(8), int32(0), int32(1), bson]);
    const header = Buffer.concat([
      int32(16 + payload.length),
      int32(this.nextRequestId++),
      int32(responseTo),
      int32(requestOpCode === opMsg ? opMsg : opReply),
    ]);
    socket.write(Buffer.concat([header, payload]));
  }
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value);
  return buffer;
}

/** Reads the body section (kind 0) of an OP_MSG; document sequences (kind 1) are skipped. */
function readOpMsgBody(message: Buffer): Document | undefined {
  let offset = 20;
  while (offset < message.length) {
    const kind = message.readUInt8(offset);
    offset++;
    const size = message.readInt32LE(offset);
    if (kind === 0) return deserialize(message.subarray(offset, offset + size));
    offset += size;
  }
  return undefined;
}

/** Reads the query document of a legacy OP_QUERY, which drivers use for the first `hello`. */
function readOpQueryBody(message: Buffer): Document | undefined {
  const nameEnd = message.indexOf(0, 20);
  const documentStart = nameEnd + 1 + 8;
  const size = message.readInt32LE(documentStart);
  return deserialize(message.subarray(documentStart, documentStart + size));
}

/** The smallest `hello` reply that MongoDB driver 7 accepts from a standalone server (wire version 21 is MongoDB 7.0). */
function helloReply(): Document {
  return {
    helloOk: true,
    ismaster: true,
    isWritablePrimary: true,
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: 1,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    ok: 1,
  };
}
