/**
 * One fast-path attempt over a callback transport (see `internal/transport.ts`): a single
 * `Effect.async`, no fiber. It takes the per-origin slot (or queues for it), arms the attempt's
 * watchdog (which aborts the exchange on expiry), sends, and resumes once with the whole 2xx body
 * or the typed failure. Interruption aborts the exchange and gives the slot back.
 */
import { Effect } from "effect"
import type { FastAttemptContext, FastRequest } from "./transport.js"
import type { Watchdog } from "./watchdog.js"

/** A whole response: status, headers (lower-case names), body (capped for non-2xx). */
export interface FastResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly body: Uint8Array
}

/** What a callback transport reports, each callback at most once except `onProgress`. */
export interface FastCallbacks {
  /** A sign of progress: the response headers, a chunk of the response body. */
  readonly onProgress: () => void
  readonly onResponse: (response: FastResponse) => void
  /** A transport failure (never a status). */
  readonly onError: (cause: unknown) => void
}

/**
 * Sends `request` (reading at most `errorBodyCap` bytes of a non-2xx body); reports through
 * `callbacks`. Returns the function that aborts the exchange (no callback is called afterwards).
 */
export type Send = (request: FastRequest, errorBodyCap: number, callbacks: FastCallbacks) => () => void

/** One attempt of `request` over `send` (see the module comment). */
export const fastAttempt = <E>(send: Send, request: FastRequest, context: FastAttemptContext<E>): Effect.Effect<Uint8Array, E> =>
  Effect.async<Uint8Array, E>((resume) => {
    const slot = context.slot
    // 0: waiting for a slot, 1: sent, 2: settled (or interrupted).
    let state = 0
    let abort: (() => void) | undefined
    let watchdog: Watchdog | undefined
    const settle = (effect: Effect.Effect<Uint8Array, E>) => {
      if (state === 2) return
      state = 2
      watchdog?.stop()
      slot.release()
      resume(effect)
    }
    const start = () => {
      if (state !== 0) return
      state = 1
      const dog = watchdog = context.watchdog()
      dog.arm((expiry) => {
        abort?.()
        settle(Effect.fail(context.timeout(expiry)))
      })
      // A transport reports its failures through `onError`; one that throws still fails typed.
      try {
        abort = send(request, context.errorBodyCap, callbacks(dog))
      } catch (cause) {
        settle(Effect.fail(context.transport(cause)))
      }
    }
    const callbacks = (dog: Watchdog): FastCallbacks => ({
      onProgress: dog.touch,
      onResponse: (response) => {
        if (response.status >= 200 && response.status < 300) return settle(Effect.succeed(response.body))
        const header = (name: string) => {
          const value = response.headers[name]
          return typeof value === "string" ? value : value?.[0]
        }
        settle(context.status(response.status, header, response.body))
      },
      onError: (cause) => settle(Effect.fail(context.transport(cause)))
    })
    // A slot freed by another exchange is handed over from inside that exchange's callback:
    // start on a fresh stack.
    const waiter = slot.takeOrQueue(() => queueMicrotask(start))
    if (waiter === undefined) start()
    return Effect.sync(() => {
      if (state === 0) {
        state = 2
        if (waiter !== undefined) slot.withdraw(waiter)
      } else if (state === 1) {
        state = 2
        watchdog?.stop()
        abort?.()
        slot.release()
      }
    })
  })
