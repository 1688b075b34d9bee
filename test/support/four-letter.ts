import { connect } from 'node:net';

/**
 * Sends a four-letter word (ruok, srvr, stat, mntr, conf, cons, envi, wchs, dump, ...) and returns
 * everything the server writes until it closes the connection.
 */
export function sendFourLetterWord(port: number, word: string, host = '127.0.0.1', timeoutMs = 5000): Promise<string> {
  if (word.length !== 4) return Promise.reject(new Error(`four-letter word must have 4 characters: ${word}`));
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`four-letter word ${word} to ${host}:${String(port)} timed out`));
    }, timeoutMs);
    socket.on('connect', () => {
      socket.write(word, 'latin1');
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
