// Golden-capture client: node-zookeeper-client connect, create, getData, close.
// Usage: node nzc-client.cjs HOST:PORT
'use strict';
const zookeeper = require('node-zookeeper-client');

const client = zookeeper.createClient(process.argv[2], { sessionTimeout: 10000, retries: 0 });
const fail = (what, err) => {
  console.error(what, err);
  process.exit(1);
};
const timer = setTimeout(() => fail('timeout', ''), 15000);
client.once('connected', () => {
  client.create('/nzc', Buffer.from('node-data'), zookeeper.CreateMode.PERSISTENT, (err, path) => {
    if (err) return fail('create', err);
    console.log('created', path);
    client.getData('/nzc', (err2, data, stat) => {
      if (err2) return fail('getData', err2);
      console.log('data', data.toString(), 'version', stat.version);
      client.close();
      clearTimeout(timer);
    });
  });
});
client.connect();
