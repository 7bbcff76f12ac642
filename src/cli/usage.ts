/**
 * What each command accepts and says about itself, in one table: its parser is built from the
 * same options its help lists, so `grantcheck <command> --help` cannot name an option the command
 * refuses, or leave one out.
 */
import { parseArgs } from 'node:util'

interface OptionSpec {
  readonly type: 'string' | 'boolean'
  readonly multiple?: boolean
  readonly short?: string
  /** How the value is shown in help (`FILE`); string options only. */
  readonly value?: string
  readonly help: string
}

interface CommandSpec {
  /** The arguments after `grantcheck <command>`, as the usage line shows them. */
  readonly synopsis: string
  /** One line for the overall usage. */
  readonly summary: string
  /** What the command does, for its own help. */
  readonly description: string
  readonly options: Readonly<Record<string, OptionSpec>>
  readonly positionals: boolean
  /** Its exit codes, where they say more than "0 done, 2 usage error". */
  readonly exits?: readonly string[]
}

const RUN_EXITS = [
  '0  no MUST-level case failed (warnings allowed)',
  '1  conformance failures (with --baseline only new ones; with --strict warnings too)',
  '2  usage or config error: nothing was sent',
  '3  runtime error: a target could not be run, or a case could not be judged (unless --allow-errored)',
] as const

const SUITE = { type: 'string', multiple: true, value: 'FILE|ID', help: 'a built-in suite id or a suite file of your own, repeatable (default: every built-in suite)' } as const

export const COMMANDS = {
  run: {
    synopsis: `--target FILE [--target FILE…] [--suite FILE|ID…] [--out DIR]
    [--baseline OLD.json] [--accept FILE] [--accept-known] [--strict] [--allow-errored]`,
    summary: 'run the suites against your authorization servers',
    description:
      'Runs the suites against each target over real HTTP, prints a summary and writes DIR/<run id>/ with report.json, report.html, junit.xml and summary.md (and matrix.json for several targets). Secrets come from the environment variables the target file names ({ "env": "VAR" }); every file is validated before the first request.',
    options: {
      target: { type: 'string', multiple: true, value: 'FILE', help: 'a target file (JSON), repeatable; at least one is required' },
      suite: SUITE,
      out: { type: 'string', value: 'DIR', help: 'where the run folder goes (default: reports)' },
      baseline: { type: 'string', value: 'OLD.json', help: 'an earlier report.json: only new failures fail the run' },
      accept: { type: 'string', value: 'FILE', help: 'accepted deviations (YAML or JSON: a list of { case, target, reason })' },
      'accept-known': { type: 'boolean', help: "deviations the target's provider profile documents do not fail the run" },
      strict: { type: 'boolean', help: 'warnings fail the run too' },
      'allow-errored': { type: 'boolean', help: 'cases that could not be judged do not fail the run' },
    },
    positionals: false,
    exits: RUN_EXITS,
  },
  report: {
    synopsis: 'REPORT.json --format html|junit|md|json|matrix [--output FILE]',
    summary: 'render a saved report in one format',
    description: 'Renders a saved report.json again in one format, to a file or to standard output.',
    options: {
      format: { type: 'string', value: 'html|junit|md|json|matrix', help: 'the format; required' },
      output: { type: 'string', value: 'FILE', help: 'write to FILE instead of standard output' },
    },
    positionals: true,
    exits: ['0  rendered', '2  usage error, or a file that is not a grantcheck report'],
  },
  compare: {
    synopsis: 'REPORT.json REPORT.json… [--out DIR]',
    summary: 'one matrix of several saved reports',
    description:
      'Merges saved reports into one comparison (a report of all their targets, with matrix.json), prints its summary and writes it to DIR/<id>/. A target name seen twice gets its run id appended.',
    options: { out: { type: 'string', value: 'DIR', help: 'where the comparison folder goes (default: reports)' } },
    positionals: true,
    exits: ['0  written', '2  usage error, or a file that is not a grantcheck report'],
  },
  init: {
    synopsis: '--provider NAME [--output FILE] [--force]',
    summary: 'write a target template for a provider',
    description:
      'Writes a target template for a provider, with its setup steps in $comment, prints the next steps and the deviations the provider\'s profile documents. Its CAPITALISED placeholders and "<… client id>" must be replaced: `run` refuses a target that still holds one.',
    options: {
      provider: { type: 'string', value: 'NAME', help: 'okta, auth0, entra, cognito, keycloak, rfc6749 or oauth21; required' },
      output: { type: 'string', value: 'FILE', help: 'where to write it (default: NAME.target.json)' },
      force: { type: 'boolean', help: 'overwrite FILE if it exists' },
    },
    positionals: false,
    exits: ['0  written', '2  usage error, or FILE exists (without --force)'],
  },
  demo: {
    synopsis: '[--defect NAME…] [--suite FILE|ID…] [--out DIR] [--emulations]',
    summary: 'run the suites against the embedded reference server',
    description: 'Starts the embedded reference authorization server on a free 127.0.0.1 port and runs the suites against it (what `npm start` runs); no tenant needed.',
    options: {
      defect: { type: 'string', multiple: true, value: 'NAME', help: 'switch on a reference-server defect or lawful variation, repeatable (`grantcheck fixture` lists them)' },
      suite: SUITE,
      out: { type: 'string', value: 'DIR', help: 'where the run folder goes (default: reports/ in the working directory)' },
      emulations: { type: 'boolean', help: 'run the reference server and every provider emulation into one comparison (npm run demo:compare); exits 0 unless a run could not be made' },
    },
    positionals: false,
    exits: RUN_EXITS,
  },
  fixture: {
    synopsis: '[--port N] [--defect NAME…]',
    summary: 'serve the reference server on 127.0.0.1, for curl',
    description: 'Serves the reference authorization server on 127.0.0.1 until interrupted (Ctrl-C), and prints its clients, the known defects and a curl line.',
    options: {
      port: { type: 'string', value: 'N', help: 'the port (default: 4455; 0 picks a free one)' },
      defect: { type: 'string', multiple: true, value: 'NAME', help: 'switch on a defect or a lawful variation, repeatable' },
    },
    positionals: false,
    exits: ['0  stopped by SIGINT or SIGTERM', '2  usage error'],
  },
  worker: {
    synopsis: `push --url URL [--token-env VAR] [--monitor JSON] TARGET.json…
    export --url URL [--token-env VAR] [--output FILE]`,
    summary: 'manage the targets a deployed Worker monitors (its admin API)',
    description:
      'push validates every file (a target, or a JSON array of targets as export writes them; each with its "monitor", or --monitor for those without one) as the Worker will, refuses literal secrets (each must be { "env": "VAR" }, a Worker secret), then creates or replaces each target through PUT /api/admin/targets/<name>. export prints every stored target as one JSON array (what POST /api/admin/targets/import takes). The API token (run role) is read from the environment variable VAR, never from the command line.',
    options: {
      url: { type: 'string', value: 'URL', help: "the Worker's address (https://grantcheck.example.workers.dev); required" },
      'token-env': { type: 'string', value: 'VAR', help: 'the environment variable holding the API token (default: GRANTCHECK_API_TOKEN)' },
      monitor: { type: 'string', value: 'JSON', help: 'push: the monitor object for files that have none, e.g. \'{"everyMinutes":60}\'' },
      output: { type: 'string', value: 'FILE', help: 'export: write to FILE instead of standard output' },
    },
    positionals: true,
    exits: [
      '0  every target pushed (or exported)',
      '2  usage error, or an invalid target file: nothing was sent',
      '3  the Worker refused a target, or could not be reached (targets before it were pushed)',
    ],
  },
  generate: {
    synopsis: '',
    summary: 'regenerate schemas/*.schema.json, docs/requirements.md and docs/proof.md',
    description: 'Regenerates the JSON Schemas in schemas/, docs/requirements.md and docs/proof.md from the sources.',
    options: {},
    positionals: false,
  },
  help: {
    synopsis: '[COMMAND]',
    summary: "print the usage, or one command's",
    description: 'Prints the overall usage, or the usage of COMMAND (the same as `grantcheck COMMAND --help`).',
    options: {},
    positionals: true,
  },
} as const satisfies Record<string, CommandSpec>

export type CommandName = keyof typeof COMMANDS

export function isCommand(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMANDS, name)
}

/** Every command takes -h and --help. */
const HELP = { help: { type: 'boolean', short: 'h' } } as const

/** What parseArgs gives for an option: a boolean, a string, or every string of a repeatable one. */
type OptionValue<O> = O extends { type: 'boolean' } ? boolean : O extends { multiple: true } ? string[] : string
/** A command's parsed arguments, typed by its options. */
export interface Parsed<N extends CommandName> {
  values: { -readonly [K in keyof (typeof COMMANDS)[N]['options']]?: OptionValue<(typeof COMMANDS)[N]['options'][K]> } & { help?: boolean }
  positionals: string[]
}

/** A usage error: the command's usage (or the overall one, without a command) follows the message. */
export class UsageError extends Error {
  readonly command: CommandName | undefined
  constructor(message: string, command?: CommandName) {
    super(message)
    this.command = command
  }
}

/** Parses a command's arguments; a parse error becomes a UsageError of that command. */
export function parseCommand<N extends CommandName>(name: N, args: string[]): Parsed<N> {
  const spec: CommandSpec = COMMANDS[name]
  // parseArgs reads type, multiple and short; the help fields are left out of what it is given.
  const options = Object.fromEntries(
    Object.entries({ ...spec.options, ...HELP }).map(([k, o]) => [
      k,
      { type: o.type, ...('multiple' in o && o.multiple ? { multiple: true } : {}), ...('short' in o && o.short ? { short: o.short } : {}) },
    ]),
  )
  try {
    return parseArgs({ args, options, allowPositionals: spec.positionals, strict: true }) as Parsed<N>
  } catch (e) {
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError(e.message, name)
    throw e
  }
}

/** `grantcheck <command> --help`: synopsis, what it does, its options and exit codes. */
export function commandUsage(name: CommandName): string {
  const spec: CommandSpec = COMMANDS[name]
  const flags = Object.entries({ ...spec.options, ...HELP }).map(([k, o]) => {
    const short = 'short' in o && o.short ? `-${o.short}, ` : ''
    const value = 'value' in o && o.value ? ` ${o.value}` : ''
    const help = 'help' in o ? o.help : 'print this help'
    return [`${short}--${k}${value}`, help] as const
  })
  const width = Math.max(...flags.map(([f]) => f.length))
  const [usage, ...more] = synopsisLines(name, '')
  const lines = [`Usage: ${usage}`, ...more.map((l) => `       ${l}`), '', ...wrap(spec.description, 100), '', 'Options:']
  for (const [flag, help] of flags) lines.push(`  ${flag.padEnd(width)}  ${help}`)
  if (spec.exits) lines.push('', 'Exit codes:', ...spec.exits.map((e) => `  ${e}`))
  return lines.join('\n')
}

/** Breaks prose into lines of at most `width` characters, at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  return [...lines, line]
}

/** A command's usage line(s): continuation lines aligned under its first option. */
function synopsisLines(name: CommandName, indent: string): string[] {
  const [first, ...more] = COMMANDS[name].synopsis.split('\n')
  const head = `grantcheck ${name}${first ? ` ${first}` : ''}`
  return [`${indent}${head}`, ...more.map((l) => `${indent}${' '.repeat(`grantcheck ${name} `.length)}${l.trim()}`)]
}

/** `grantcheck --help`: every command's usage line and what it is for. */
export function overallUsage(): string {
  return [
    'grantcheck — conformance tests for the OAuth 2.0 client credentials grant',
    '',
    'Usage:',
    ...(Object.keys(COMMANDS) as CommandName[]).flatMap((n) => [...synopsisLines(n, '  '), `      ${COMMANDS[n].summary}`]),
    '',
    'grantcheck COMMAND --help (or -h) prints what a command does, its options and exit codes;',
    'grantcheck --version (or -v) prints the version.',
    'Exit codes: 0 no MUST failed · 1 conformance failures · 2 usage or config error · 3 runtime error',
  ].join('\n')
}
