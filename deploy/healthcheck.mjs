// Container HEALTHCHECK: GET /healthz on the controller's listen address; exit 0 when it answers 200.
// Plain JavaScript run by node, because the slim base image has no curl or wget.
// The address is PIC_HEALTHZ_URL when set, otherwise `listen` from the config file the image's CMD
// uses (PIC_CONFIG, the CLI's own variable), otherwise the controller's default 127.0.0.1:9470.
import { readFileSync } from 'node:fs';

const DEFAULT_LISTEN = '127.0.0.1:9470';
const TIMEOUT_MS = 3000;

function listenFromConfig(file) {
  try {
    const listen = JSON.parse(readFileSync(file, 'utf8')).listen;
    return typeof listen === 'string' ? listen : DEFAULT_LISTEN;
  } catch {
    return DEFAULT_LISTEN;
  }
}

function healthzUrl() {
  if (process.env.PIC_HEALTHZ_URL) return process.env.PIC_HEALTHZ_URL;
  const listen = listenFromConfig(process.env.PIC_CONFIG ?? '/etc/pic-reconciler/config.json');
  // A wildcard bind answers on loopback.
  const host = listen.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
  return `http://${host}/healthz`;
}

const url = healthzUrl();
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) {
    console.error(`${url}: HTTP ${response.status}`);
    process.exit(1);
  }
} catch (error) {
  console.error(`${url}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
