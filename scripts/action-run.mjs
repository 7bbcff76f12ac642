#!/usr/bin/env node
// The logic of the GitHub Action (action.yml): plain Node without dependencies, because it runs
// from the action's checkout before anything is installed, and so test/action.e2e.test.ts can run
// the action's steps outside GitHub.
//
//   node scripts/action-run.mjs install   installs grantcheck; output `cli` (the file to run)
//   node scripts/action-run.mjs run       runs it; outputs exit-code, report-dir, report-json, …
//
// Inputs come as INPUT_* environment variables that action.yml sets from `${{ inputs.* }}`: an
// input is never pasted into shell text, where a value with quotes or `$(…)` would be run.
// Secrets are not inputs: they are the environment variables the target files name, passed on
// untouched, and nothing here prints or writes the environment.
import { spawnSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** grantcheck's usage/config exit code: what a bad action input is too (nothing was sent). */
const EXIT_USAGE = 2

const env = process.env
const workspace = env.GITHUB_WORKSPACE || process.cwd()
const fromWorkspace = (p) => resolve(workspace, p)

/** Appends `name=value` to the step's outputs; a newline would start another output, so refused. */
function setOutput(name, value) {
  if (/[\r\n]/.test(value)) throw new Error(`output ${name} would contain a line break`)
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, `${name}=${value}\n`)
  else console.log(`${name}=${value}`)
}

/** A workflow command (annotation); `%`, CR and LF would end or corrupt it, so they are escaped. */
function annotate(level, message) {
  console.log(`::${level}::${message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}`)
}

class InputError extends Error {}

/** A boolean input as GitHub passes it: the text `true` or `false` (YAML booleans arrive as text). */
function boolInput(name) {
  const value = (env[`INPUT_${name}`] ?? '').trim().toLowerCase()
  if (value === '' || value === 'false') return false
  if (value === 'true') return true
  throw new InputError(`input ${name.toLowerCase().replace(/_/g, '-')} must be true or false, not "${value}"`)
}

/** One or more paths or names, newline- or space-separated (a YAML block or one line). */
const listInput = (name) => (env[`INPUT_${name}`] ?? '').split(/\s+/).filter(Boolean)

/**
 * A package spec that names a folder or tarball on disk is made absolute: npm runs in a folder of
 * its own, where a path relative to the workspace would name nothing. Registry names
 * (`grantcheck@1.2.3`), URLs and git specs pass as they are, as npm reads them.
 */
function packageSpec(spec) {
  const path = /^(\.{1,2}[\\/]|[\\/]|[A-Za-z]:[\\/]|file:)/.test(spec) || (/\.(tgz|tar\.gz)$/.test(spec) && !spec.includes('://'))
  return path ? fromWorkspace(spec.replace(/^file:/, '')) : spec
}

/** The file the installed package names as its `grantcheck` bin. */
function cliOf(packageDir) {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.grantcheck
  if (!bin) throw new Error(`${packageDir}/package.json names no grantcheck bin`)
  return { cli: join(packageDir, bin), version: String(pkg.version ?? '') }
}

function install() {
  // A grantcheck already on the machine (a self-hosted runner, this repository's own test): run it.
  if (env.GRANTCHECK_CLI) {
    const cli = fromWorkspace(env.GRANTCHECK_CLI)
    if (!existsSync(cli)) throw new Error(`GRANTCHECK_CLI names ${cli}, which does not exist`)
    console.log(`grantcheck: not installing, GRANTCHECK_CLI names ${cli}`)
    setOutput('cli', cli)
    return 0
  }
  const spec = (env.INPUT_PACKAGE ?? '').trim()
  if (!spec) throw new InputError('input package is empty')
  // A folder of its own (--prefix), outside the workspace: the repository's package.json, lockfile
  // and node_modules stay as they were.
  const dir = join(env.RUNNER_TEMP || tmpdir(), 'grantcheck-action')
  const args = ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', packageSpec(spec)]
  console.log(`grantcheck: npm ${args.join(' ')}`)
  // npm is a .cmd file on Windows, which Node starts only through a shell.
  const win = process.platform === 'win32'
  const npm = spawnSync(win ? 'npm.cmd' : 'npm', win ? args.map((a) => `"${a}"`) : args, { stdio: 'inherit', shell: win })
  if (npm.status !== 0) throw new Error(`npm install ${spec} failed (${npm.error?.message ?? `exit ${npm.status ?? npm.signal}`})`)
  const { cli, version } = cliOf(join(dir, 'node_modules', 'grantcheck'))
  console.log(`grantcheck: installed ${version} (${cli})`)
  setOutput('cli', cli)
  return 0
}

/** The command line for the inputs; throws InputError on a bad input, before anything runs. */
function runArgs(out) {
  const targets = listInput('TARGETS')
  if (!targets.length) throw new InputError('input targets names no target file')
  const args = ['run', '--out', out]
  for (const t of targets) args.push('--target', fromWorkspace(t))
  for (const s of listInput('SUITES')) args.push('--suite', s)
  for (const name of ['BASELINE', 'ACCEPT']) {
    const file = (env[`INPUT_${name}`] ?? '').trim()
    if (file) args.push(`--${name.toLowerCase()}`, fromWorkspace(file))
  }
  for (const name of ['ACCEPT_KNOWN', 'STRICT', 'ALLOW_ERRORED']) if (boolInput(name)) args.push(`--${name.toLowerCase().replace(/_/g, '-')}`)
  return args
}

/** Run folders are named by grantcheck; the one this run wrote is the new one holding a report.json. */
const runFolders = (out) => (existsSync(out) ? readdirSync(out).filter((d) => existsSync(join(out, d, 'report.json'))) : [])

function run() {
  // action.yml sets it to the install step's `cli` output.
  const cli = env.GRANTCHECK_CLI
  if (!cli) throw new Error('no grantcheck to run: GRANTCHECK_CLI is not set')
  const out = fromWorkspace((env.INPUT_OUT ?? '').trim() || 'grantcheck-reports')
  let code
  let dir = ''
  try {
    const args = runArgs(out)
    mkdirSync(out, { recursive: true })
    const before = new Set(runFolders(out))
    console.log(`grantcheck ${args.join(' ')}`)
    // The whole environment is passed on: it holds the secrets the target files name.
    const child = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', env })
    code = child.status ?? 3
    if (child.status === null) annotate('error', `grantcheck ended by ${child.signal ?? child.error?.message}`)
    const written = runFolders(out).filter((d) => !before.has(d))
    if (written.length === 1) dir = join(out, written[0])
    else if (written.length > 1) annotate('warning', `grantcheck wrote ${written.length} run folders in ${out}; not choosing one`)
  } catch (e) {
    if (!(e instanceof InputError)) throw e
    annotate('error', `grantcheck action: ${e.message}`)
    code = EXIT_USAGE
  }
  const file = (name) => (dir && existsSync(join(dir, name)) ? join(dir, name) : '')
  setOutput('exit-code', String(code))
  setOutput('report-dir', dir)
  setOutput('report-json', file('report.json'))
  setOutput('report-html', file('report.html'))
  setOutput('junit-xml', file('junit.xml'))
  setOutput('summary-md', file('summary.md'))
  const meaning = { 1: 'conformance failures', 2: 'usage or config error, nothing was sent', 3: 'runtime error' }[code] ?? 'unexpected exit'
  if (code !== 0) annotate('error', `grantcheck exited ${code}: ${meaning}${dir ? ' (details in the job summary)' : ''}`)
  // Always 0: the summary and artifact steps still run, and the last step exits with `code`.
  return 0
}

const commands = { install, run }
const command = commands[process.argv[2]]
if (!command) {
  console.error(`usage: node ${process.argv[1]} install|run`)
  process.exit(EXIT_USAGE)
}
try {
  process.exitCode = command()
} catch (e) {
  annotate('error', `grantcheck action: ${e instanceof Error ? e.message : String(e)}`)
  process.exitCode = e instanceof InputError ? EXIT_USAGE : 1
}
