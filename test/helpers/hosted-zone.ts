import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';

const route53 = new Route53Client({ region: 'us-east-1' });

/**
 * Tests share one moto account, where two public zones of one name would be
 * ambiguous: a config's domain moves under a zone named for the app
 * (app.example.com in zone example.com becomes app.<app>.example.com in zone
 * <app>.example.com), which is created in moto. A site directory the config
 * names gets a small built frontend. Returns the zone's name and id.
 */
export async function giveDomain(dir: string, app: string): Promise<{ zone: string; zoneId: string } | undefined> {
  const path = join(dir, 'deploy-wizard.json');
  const c = JSON.parse(readFileSync(path, 'utf8'));
  if (c.site) {
    mkdirSync(join(dir, c.site.dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, c.site.dir, 'index.html'), `<!doctype html><title>${app}</title><script type="module" src="/assets/app-Ab12Cd34.js"></script>\n`);
    writeFileSync(join(dir, c.site.dir, 'assets', 'app-Ab12Cd34.js'), 'console.log("hi");\n');
  }
  if (!c.domain) {
    writeFileSync(path, JSON.stringify(c, null, 2));
    return undefined;
  }
  const old = c.domain.zone as string;
  const zone = `${app}.${old}`;
  const move = (n: string) => `${n.slice(0, -old.length)}${zone}`;
  c.domain = { ...c.domain, name: move(c.domain.name), zone, ...(c.domain.aliases ? { aliases: c.domain.aliases.map(move) } : {}) };
  writeFileSync(path, JSON.stringify(c, null, 2));
  const zoneId = (await route53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${app}-${Date.now()}` }))).HostedZone!.Id!;
  return { zone, zoneId };
}
