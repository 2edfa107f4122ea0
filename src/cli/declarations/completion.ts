import type { CommandDeclaration } from '../command-declaration.js';

export const completionCommand: CommandDeclaration = {
  name: 'completion',
  summary: 'print a shell completion script (bash or zsh)',
  description: 'Prints a completion script generated from this CLI, so it always knows the current commands and flags.',
  options: [],
  arguments: [{ name: '<shell>', help: 'the shell to complete for', choices: ['bash', 'zsh'] }],
  examples: [
    'source <(pic-reconciler completion bash)          # in ~/.bashrc',
    'pic-reconciler completion zsh > "${fpath[1]}/_pic-reconciler"',
  ],
  exitCodes: '0',
  load: async () => {
    const { completionScript } = await import('../completion-script.js');
    return async (_values, { args, tree }) => {
      process.stdout.write(completionScript(args[0] === 'zsh' ? 'zsh' : 'bash', tree));
      return 0;
    };
  },
};
