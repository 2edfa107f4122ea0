/**
 * The commands the demo prints, spelled so they run as printed (from the folder the demo was
 * started in, as root) while it runs: each names the state folder and the config file the demo
 * wrote, whose targets are its namespaces.
 */

export interface DemoCommands {
  readonly explain: string | null;
  readonly access: string;
  readonly status: string;
  readonly page: string;
}

/** A word for sh: bare when it is plainly safe, else in single quotes. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function demoCommands(options: {
  readonly stateDir: string;
  readonly configFile: string;
  readonly listen: string;
  readonly denied: { readonly from: string; readonly to: string } | null;
}): DemoCommands {
  const cli = (...args: string[]) => ['npx', 'pic-reconciler', ...args].map(shellWord).join(' ');
  const where = ['--state', options.stateDir, '--config', options.configFile];
  const { denied } = options;
  return {
    explain: denied === null ? null : cli('explain', ...where, '--from', denied.from, '--to', denied.to),
    access: cli('access', ...where),
    status: cli('status', '--config', options.configFile),
    page: `http://${options.listen}/`,
  };
}
