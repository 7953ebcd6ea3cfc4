/**
 * The commands `push` runs, through `@effect/platform`'s `Command` (no shell unless the manifest
 * asks for one): the build command, the pre-push command and the Python installer.
 */
import { Command, FileSystem, Path } from "@effect/platform"
import type { CommandExecutor } from "@effect/platform/CommandExecutor"
import { Effect, Stream } from "effect"
import { PushCommandError, type PushCommandStep } from "./errors.js"

/** How much of a failed command's error output is kept. */
const MAX_STDERR_CHARS = 4096

const tail = (text: string): string | undefined => {
  const trimmed = text.trim()
  if (trimmed === "") return undefined
  return trimmed.length > MAX_STDERR_CHARS ? `…${trimmed.slice(-MAX_STDERR_CHARS)}` : trimmed
}

const collect = <E>(stream: Stream.Stream<Uint8Array, E>) => stream.pipe(Stream.decodeText(), Stream.mkString)

/** What to run. */
export interface CommandSpec {
  readonly step: PushCommandStep
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly cwd: string
  /** Variables added to the current environment. */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Shown after the error message, e.g. how to install a missing program. */
  readonly hint?: string | undefined
}

/**
 * Runs a command to completion and returns its standard output. A non-zero exit, a missing
 * program or a failure to start it is a {@link PushCommandError}.
 */
export const runCommand = (spec: CommandSpec): Effect.Effect<string, PushCommandError, CommandExecutor> => {
  const display = [spec.command, ...spec.args].join(" ")
  const command = Command.make(spec.command, ...spec.args).pipe(
    Command.workingDirectory(spec.cwd),
    Command.env(spec.env ?? {})
  )
  return Effect.scoped(
    Effect.gen(function*() {
      const process = yield* Command.start(command)
      const [stdout, stderr, exitCode] = yield* Effect.all(
        [collect(process.stdout), collect(process.stderr), process.exitCode],
        { concurrency: "unbounded" }
      )
      return { stdout, stderr, exitCode }
    })
  ).pipe(
    Effect.mapError((error) =>
      new PushCommandError({
        step: spec.step,
        command: display,
        reason: error._tag === "SystemError" && error.reason === "NotFound" ? "not-found" : "spawn",
        stderr: tail(error.message),
        hint: spec.hint
      })
    ),
    Effect.flatMap(({ exitCode, stderr, stdout }) =>
      exitCode === 0 ? Effect.succeed(stdout) : Effect.fail(
        new PushCommandError({
          step: spec.step,
          command: display,
          reason: "exit",
          exitCode,
          stderr: tail(stderr),
          hint: spec.hint
        })
      )
    )
  )
}

/** A build environment value as a string (nextmv-py applies `str()`). */
const envValue = (value: unknown): string =>
  typeof value === "string" ? value : typeof value === "object" && value !== null ? JSON.stringify(value) : String(value)

/**
 * The build command: split on spaces and run without a shell in the app directory, with
 * `build.environment` over the current environment. (nextmv-py splits on single spaces; empty
 * pieces from repeated spaces are dropped here rather than passed as empty arguments.)
 */
export const buildCommand = (
  commandLine: string,
  appDir: string,
  environment: Readonly<Record<string, unknown>> = {}
): CommandSpec => {
  const [command = "", ...args] = commandLine.split(" ").filter((part) => part !== "")
  return {
    step: "build",
    command,
    args,
    cwd: appDir,
    env: Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, envValue(v)]))
  }
}

/**
 * The pre-push command, run through a shell in the app directory: `bash -c` when `SHELL` is set
 * and `bash` is on the `PATH`, `cmd /c` on Windows, `sh -c` otherwise.
 */
export const prePushCommand = (commandLine: string, appDir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const windows = process.platform === "win32"
    const onPath = (program: string) =>
      Effect.gen(function*() {
        for (const dir of (process.env["PATH"] ?? "").split(windows ? ";" : ":")) {
          if (dir !== "" && (yield* fs.exists(path.join(dir, program)).pipe(Effect.orElseSucceed(() => false)))) return true
        }
        return false
      })
    const bash = process.env["SHELL"] !== undefined && (yield* onPath(windows ? "bash.exe" : "bash"))
    const [command, flag] = bash ? ["bash", "-c"] : windows ? ["cmd", "/c"] : ["sh", "-c"]
    return { step: "pre-push", command, args: [flag, commandLine], cwd: appDir } satisfies CommandSpec
  })
