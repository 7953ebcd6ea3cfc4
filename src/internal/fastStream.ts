/**
 * One streamed-download attempt over a callback transport (see `FastStream` in
 * `internal/transport.ts`): a single `Effect.async` that arms the attempt's watchdog (which aborts
 * the exchange on expiry), sends, and resumes once — when 2xx headers arrived (after handing the
 * exchange to the sink), or with the typed failure. From then on the transport hands each body
 * chunk to the sink directly (no effect, no fiber per chunk) and pauses while the sink is full.
 * Imported by the Node transport only, so browser bundles do not carry it.
 */
import { Effect } from "effect"
import type { FastResponse } from "./fastAttempt.js"
import type { BodySink, FastRequest, FastStreamContext } from "./transport.js"

/** What a callback transport reports for a streamed response. */
export interface StreamCallbacks {
  /** A sign of progress: the response headers, a chunk of the body. */
  readonly onProgress: () => void
  /** 2xx headers arrived: the body follows through `onData`. */
  readonly onStart: () => void
  /** A chunk of the 2xx body; `false`: the sink is full, pause until `resume`. */
  readonly onData: (chunk: Uint8Array) => boolean
  /** The 2xx body ended. */
  readonly onEnd: () => void
  /** A non-2xx response, its body capped at the error body cap. */
  readonly onResponse: (response: FastResponse) => void
  /** A transport failure, before or after the headers. */
  readonly onError: (cause: unknown) => void
}

/** The controls of one sent exchange (no callback is called after `abort`). */
export interface Opened {
  readonly abort: () => void
  readonly resume: () => void
}

/** Sends `request` (a non-2xx body read up to `errorBodyCap` bytes); reports through `callbacks`. */
export type Open = (request: FastRequest, errorBodyCap: number, callbacks: StreamCallbacks) => Opened

/** One streamed attempt of `request` over `open` (see the module comment). */
export const fastStream = <E>(
  open: Open,
  request: FastRequest,
  context: FastStreamContext<E>,
  sink: BodySink<E>
): Effect.Effect<void, E> =>
  Effect.async<void, E>((resume) => {
    // 1: sent, 2: headers arrived (the body goes to the sink), 3: failed or interrupted.
    let state = 1
    let opened: Opened | undefined
    const watchdog = context.watchdog()
    const fail = (effect: Effect.Effect<never, E>) => {
      if (state !== 1) return
      state = 3
      watchdog.stop()
      resume(effect)
    }
    watchdog.arm((expiry) => {
      opened?.abort()
      fail(Effect.fail(context.timeout(expiry)))
    })
    const callbacks: StreamCallbacks = {
      onProgress: watchdog.touch,
      onStart: () => {
        if (state !== 1) return
        state = 2
        // The caller arms it again for the body (its own expiry, pauses while its consumer is behind).
        watchdog.pause()
        sink.start({ watchdog, resume: () => opened?.resume(), abort: () => opened?.abort() })
        resume(Effect.void)
      },
      onData: (chunk) => {
        watchdog.touch()
        return sink.data(chunk)
      },
      onEnd: () => {
        watchdog.stop()
        sink.end(undefined)
      },
      onResponse: (response) => {
        const header = (name: string) => {
          const value = response.headers[name]
          return typeof value === "string" ? value : value?.[0]
        }
        fail(context.status(response.status, header, response.body))
      },
      onError: (cause) => {
        if (state === 1) return fail(Effect.fail(context.transport(cause)))
        watchdog.stop()
        if (state === 2) sink.end(context.transport(cause))
      }
    }
    // A transport reports its failures through `onError`; one that throws still fails typed.
    try {
      opened = open(request, context.errorBodyCap, callbacks)
    } catch (cause) {
      fail(Effect.fail(context.transport(cause)))
    }
    return Effect.sync(() => {
      if (state !== 1) return
      state = 3
      watchdog.stop()
      opened?.abort()
    })
  })
