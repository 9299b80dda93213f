import { execFileSync } from 'node:child_process';

/** A loopback port nothing listens on (bound and released by a child process), for "never answers" tests. */
export function freePortSync(): number {
  return Number(
    execFileSync(process.execPath, ['-e', "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], {
      encoding: 'utf8',
    }).trim(),
  );
}
