/**
 * The bounded read-ahead buffer of a streamed download: one reader fiber fills it with the
 * transport's buffers, the consumer takes everything buffered at once. Buffers are passed on as
 * they came (never concatenated). Hand-written (a few `Effect.async` resumptions) rather than
 * `Mailbox` or `Queue`, which would bring their whole modules into every browser bundle.
 */
import { Channel, Chunk, Effect, Exit, Stream } from "effect"

const resumed = Effect.void

/** A bounded buffer between one producer fiber and one consumer stream. */
export class ReadAhead<E> {
  private buffers: Array<Uint8Array> = []
  private exit: Exit.Exit<void, E> | undefined = undefined
  private consumer: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  /** Called once when there is room again (or the buffer ended). */
  private producer: (() => void) | undefined = undefined

  constructor(
    /** Buffers held at most before the producer waits (one transport chunk may overshoot it). */
    readonly capacity: number
  ) {}

  /** Adds the transport's buffers; `true` while there is room for more (else wait on {@link room}). */
  offer(chunk: Chunk.Chunk<Uint8Array>): boolean {
    if (this.exit !== undefined) return true
    const buffers = this.buffers
    for (const buffer of Chunk.toReadonlyArray(chunk)) {
      if (buffer.length > 0) buffers.push(buffer)
    }
    if (buffers.length > 0) this.wakeConsumer()
    return buffers.length < this.capacity
  }

  /**
   * Adds one buffer (a callback transport's producer side); `true` while there is room for more,
   * else the producer stops until the callback given to {@link whenRoom} runs.
   */
  push(buffer: Uint8Array): boolean {
    if (this.exit !== undefined) return true
    if (buffer.length > 0) {
      this.buffers.push(buffer)
      this.wakeConsumer()
    }
    return this.buffers.length < this.capacity
  }

  /** `true` while the producer may add buffers without waiting. */
  get hasRoom(): boolean {
    return this.buffers.length < this.capacity || this.exit !== undefined
  }

  /** `true` once the buffer ended (what is buffered may still be taken). */
  get ended(): boolean {
    return this.exit !== undefined
  }

  /** Calls `callback` once the consumer made room (or the buffer ended); at once if there is room. */
  whenRoom(callback: () => void): void {
    if (this.hasRoom) return callback()
    this.producer = callback
  }

  /** Waits until the consumer made room (or the buffer ended). */
  readonly room: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.hasRoom) return resume(resumed)
    this.producer = () => resume(resumed)
    return Effect.sync(() => {
      this.producer = undefined
    })
  })

  /**
   * Ends the buffer with the producer's exit: what is buffered is still taken, then the stream
   * ends (success) or fails. The first end wins (a timeout, then the interrupted reader's exit).
   */
  end(exit: Exit.Exit<void, E>): void {
    if (this.exit !== undefined) return
    this.exit = exit
    this.wakeConsumer()
    this.wakeProducer()
  }

  /** The consumer's side: every buffered buffer as one chunk per pull. */
  readonly stream: Stream.Stream<Uint8Array, E> = Stream.fromChannel(Channel.suspend(() => this.pull))

  private readonly waitForData: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.buffers.length > 0 || this.exit !== undefined) return resume(resumed)
    this.consumer = resume
    return Effect.sync(() => {
      this.consumer = undefined
    })
  })

  /** Everything buffered, or `undefined` at the end. */
  private readonly take: Effect.Effect<Chunk.Chunk<Uint8Array> | undefined, E> = Effect.suspend(() => {
    if (this.buffers.length > 0) {
      const taken = Chunk.unsafeFromArray(this.buffers)
      this.buffers = []
      this.wakeProducer()
      return Effect.succeed(taken)
    }
    const exit = this.exit
    if (exit === undefined) return Effect.zipRight(this.waitForData, this.take)
    return Exit.isSuccess(exit) ? Effect.succeed(undefined) : Effect.failCause(exit.cause)
  })

  private readonly pull: Channel.Channel<Chunk.Chunk<Uint8Array>, unknown, E, unknown, void, unknown> = Channel.flatMap(
    Channel.fromEffect(this.take),
    (chunk) => chunk === undefined ? Channel.void : Channel.zipRight(Channel.write(chunk), this.pull)
  )

  private wakeConsumer(): void {
    const consumer = this.consumer
    if (consumer === undefined) return
    this.consumer = undefined
    consumer(resumed)
  }

  private wakeProducer(): void {
    const producer = this.producer
    if (producer === undefined) return
    this.producer = undefined
    producer()
  }
}
