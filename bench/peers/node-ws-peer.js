'use strict';
// A minimal chat server on the `ws` package (Debian's node-ws), written the way that
// package's users write one: rooms as a Map of Sets, one JSON.stringify per message.
// It speaks the subset of PROTOCOL.md that chat-load uses (join, send -> joined, ack, msg),
// accepts any token, keeps no history and stores nothing. A yardstick for chat-load and
// for the node, not a product.
//
//   node bench/peers/node-ws-peer.js [port] [host]     (or PORT / HOST in the environment)
//
// Prints {"listening":PORT} on stdout once it accepts connections; stops on SIGTERM/SIGINT.

let WebSocket;
try {
  WebSocket = require('ws');
} catch (error) {
  // Debian installs node-ws into /usr/share/nodejs, which Debian's own nodejs searches but
  // other builds of Node (NodeSource) do not.
  WebSocket = require('/usr/share/nodejs/ws');
}
const http = require('http');

const port = Number(process.argv[2] || process.env.PORT || 8090);
const host = process.argv[3] || process.env.HOST || '127.0.0.1';

const rooms = new Map(); // room id -> Set of sockets
let lastId = 0;
let anonymous = 0;

function userOf(token) {
  // The user id from a JWT's `sub`, unverified; else a counter.
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    if (/^\d+$/.test(payload.sub)) return Number(payload.sub);
  } catch (error) { /* not a JWT */ }
  anonymous += 1;
  return anonymous;
}

const server = http.createServer((request, response) => {
  if (request.url === '/health') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: 'ok', connections: wss.clients.size }));
    return;
  }
  response.writeHead(404);
  response.end();
});

const wss = new WebSocket.WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });

server.on('upgrade', (request, socket, head) => {
  const url = new URL(request.url, 'http://peer');
  const token = url.searchParams.get('token');
  if (url.pathname !== '/ws' || !token) {
    socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  wss.handleUpgrade(request, socket, head, (ws) => {
    ws.user = userOf(token);
    ws.rooms = new Set();
    wss.emit('connection', ws, request);
  });
});

function error(ws, code, msg, cid) {
  const event = { t: 'error', code, msg };
  if (cid !== undefined) event.cid = cid;
  ws.send(JSON.stringify(event));
}

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (isBinary) return error(ws, 'bad_request', 'binary frames are not supported by this peer');
    let command;
    try {
      command = JSON.parse(data);
    } catch (e) {
      return error(ws, 'bad_request', 'not JSON');
    }
    switch (command.t) {
      case 'join': {
        let members = rooms.get(command.room);
        if (!members) {
          members = new Set();
          rooms.set(command.room, members);
        }
        members.add(ws);
        ws.rooms.add(command.room);
        ws.send(JSON.stringify({ t: 'joined', room: command.room, epoch: 'peer', members: members.size, history: [] }));
        break;
      }
      case 'leave': {
        const members = rooms.get(command.room);
        if (members) members.delete(ws);
        ws.rooms.delete(command.room);
        ws.send(JSON.stringify({ t: 'left', room: command.room }));
        break;
      }
      case 'send': {
        const members = rooms.get(command.room);
        if (!members || !members.has(ws)) return error(ws, 'not_member', 'join first', command.cid);
        lastId += 1;
        const id = String(lastId);
        const ts = Date.now();
        const msg = JSON.stringify({ t: 'msg', room: command.room, id, from: ws.user, ts, text: command.text });
        for (const member of members) {
          if (member !== ws && member.readyState === WebSocket.OPEN) member.send(msg);
        }
        ws.send(JSON.stringify({ t: 'ack', cid: command.cid, id, ts }));
        break;
      }
      default:
        error(ws, 'bad_request', 'unknown type');
    }
  });
  ws.on('close', () => {
    for (const room of ws.rooms) {
      const members = rooms.get(room);
      if (!members) continue;
      members.delete(ws);
      if (members.size === 0) rooms.delete(room);
    }
  });
});

server.listen(port, host, () => {
  process.stdout.write(JSON.stringify({ listening: server.address().port }) + '\n');
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    for (const ws of wss.clients) ws.terminate();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  });
}
