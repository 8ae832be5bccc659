// Preloaded (node --require) into bridges that cannot choose their listen address (supergateway listens on
// every interface): a listen() given only a port binds 127.0.0.1, so the benchmark never opens a port
// beyond the loopback interface.
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function patchedListen(...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  return listen.apply(this, args);
};
