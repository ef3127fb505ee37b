/**
 * `causeway` — the command line. Commands: replay, serve, run, flush, report, profile, rules.
 * `causeway --help` and `causeway <command> --help` (or `-h`) print help and exit 0; a usage error
 * prints the usage and exits 2. Exit code 0 unless something fatal happened (a bad record is not
 * fatal; a bad config or environment is: exit 2 with the setting and the fix).
 */
import { isConfigError } from '../errors.ts';
import { COMMANDS, type Command } from './commands.ts';
import { parse, UsageError } from './flags.ts';

const OVERVIEW = `Usage: causeway <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`)
  .join('\n')}

Run \`causeway <command> --help\` for a command's options.
`;

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) return usageError('no command given', OVERVIEW);
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0] !== undefined ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(topic ? helpOf(rest[0]!, topic) : OVERVIEW);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) return usageError(`unknown command "${name}"`, OVERVIEW);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpOf(name, command));
    return 0;
  }
  try {
    const { values, positionals } = parse(rest, command.options ?? {});
    return await command.run({ values, positionals, env });
  } catch (e) {
    if (e instanceof UsageError) return usageError(e.message, helpOf(name, command));
    if (isConfigError(e)) {
      process.stderr.write(`causeway: ${e.message}\n`);
      return 2;
    }
    // The environment refused something (a file or directory, a port): say what, without a stack.
    const system = e as NodeJS.ErrnoException;
    if (system?.syscall && system.code) {
      process.stderr.write(
        `causeway: cannot ${system.syscall}${system.path ? ` ${system.path}` : ''} (${system.code}). Fix: check that the path or port named exists, is what it should be (file or directory) and that this user may use it\n`,
      );
      return 2;
    }
    throw e;
  }
}

function helpOf(name: string, command: Command): string {
  return `Usage: causeway ${name} ${command.usage}\n\n${command.help}\n`;
}

function usageError(message: string, usage: string): number {
  process.stderr.write(`causeway: ${message}\n\n${usage}`);
  return 2;
}
