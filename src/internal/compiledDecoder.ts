/**
 * Response decoding, compiled once per schema.
 *
 * `ParseResult.decodeUnknownEither` interprets a schema's AST on every call, and each step of it
 * allocates an `Either`, a closure or an issue wrapper; for a response such as an `Application`
 * that is most of the decode's cost (and of the garbage a call leaves). This module walks the AST
 * once and builds plain functions for the forms the SDK's response schemas use. Each form does
 * exactly what Effect's parser (`effect/ParseResult`, `go`) does for it, in the same order, and
 * calls the schema's own functions wherever the schema has code (transformations, declarations,
 * refinements, property signature transformations), so a successful compiled decode is the very
 * value Schema would produce: the same class instances, the same keys in the same order, the
 * same defaults.
 *
 * A compiled function never builds an error: when the input does not fit it returns
 * {@link MISMATCH}, and {@link decoderOf} then runs Schema's decoder on the same input, so a
 * failure (its issue, hence the message of `NextmvDecodeError`) is Schema's own. A form the
 * compiler does not know makes the whole schema use Schema's decoder.
 *
 * @internal
 */
import { DateTime, Either, Option, ParseResult, Schema, SchemaAST as AST } from "effect"
import { DateTimeUtc } from "../schemas/Common.js"
import { nullableField } from "./nullableFields.js"

/** What a compiled function returns when its input does not fit (never a decoded value: module-private). */
const MISMATCH: unique symbol = Symbol("nextmv-effect/compiledDecoder/mismatch")

/** A compiled decode: the decoded value, or {@link MISMATCH}. */
type Decode = (input: unknown) => unknown

/** The options every response decode runs with (the same object reaches the schema's functions). */
const OPTIONS: AST.ParseOptions = { onExcessProperty: "ignore" }

/** A required key the input lacks is read through the prototype chain, as Effect's parser reads `input[name]`. */
const EMPTY: Record<PropertyKey, unknown> = {}

const hasOwn = (o: object, key: PropertyKey): boolean => Object.prototype.hasOwnProperty.call(o, key)

const isRecord = (u: unknown): u is Record<PropertyKey, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * The value of a schema's synchronous result (`ParseResult.succeed` is an `Either`), else
 * {@link MISMATCH}. (`_tag` rather than `Either.isEither`, whose `in` check up the prototype chain
 * was a noticeable part of a decode: no other result of a schema function is tagged `Right`.)
 */
const rightOf = (result: unknown): unknown =>
  typeof result === "object" && result !== null && (result as { readonly _tag?: unknown })._tag === "Right"
    ? (result as Either.Right<unknown, unknown>).right
    : MISMATCH

const always: Decode = (input) => input

/** The checks behind the decodes that return their input unchanged, so that a union of them becomes one check. */
const checks = new WeakMap<Decode, (u: unknown) => boolean>()

const when = (test: (u: unknown) => boolean): Decode => {
  const decode: Decode = (input) => test(input) ? input : MISMATCH
  checks.set(decode, test)
  return decode
}

/**
 * `true` when Effect's union parser would reorder `member` (it tries members with a required
 * literal property first, keyed by that property: `getLiterals` in `effect/ParseResult`). A union
 * with such a member is left to Schema, since trying members in order would not be the same.
 */
const hasLiterals = (ast: AST.AST): boolean => {
  switch (ast._tag) {
    case "Declaration":
      return Option.match(AST.getSurrogateAnnotation(ast), { onNone: () => false, onSome: hasLiterals })
    case "TypeLiteral":
      return ast.propertySignatures.some((ps) => !ps.isOptional && AST.isLiteral(AST.encodedAST(ps.type)))
    case "TupleType":
      return ast.elements.some((e) => !e.isOptional && AST.isLiteral(AST.encodedAST(e.type)))
    case "Refinement":
      return hasLiterals(ast.from)
    case "Suspend":
      return hasLiterals(ast.f())
    case "Transformation":
      return hasLiterals(ast.from)
    default:
      return false
  }
}

/** These annotations change how Schema parses the node and its children: such a node is left to Schema. */
const changesParsing = (ast: AST.AST): boolean =>
  Option.isSome(AST.getParseOptionsAnnotation(ast)) || Option.isSome(AST.getDecodingFallbackAnnotation(ast))

/**
 * One function per AST node, shared by every schema that contains the node (as Effect's parser
 * memoises its parsers): `listOf(Application)` builds a new list schema per call, but its items
 * compile once.
 */
const compiled = new WeakMap<AST.AST, Decode>()
const unsupported = new WeakSet<AST.AST>()

const compile = (ast: AST.AST): Decode | undefined => {
  const known = compiled.get(ast)
  if (known !== undefined) return known
  if (unsupported.has(ast)) return undefined
  const decode = changesParsing(ast) ? undefined : ast._tag === "Suspend" ? suspend(ast) : compileNode(ast)
  if (decode === undefined) unsupported.add(ast)
  else compiled.set(ast, decode)
  return decode
}

/**
 * `Schema.suspend`: a forwarder registered before its target compiles, so that a cycle reaches
 * it. If the target cannot be compiled, what already refers to the forwarder always mismatches
 * (and Schema decodes), which is slow but still Schema's result.
 */
const suspend = (ast: AST.Suspend): Decode | undefined => {
  let target: Decode = () => MISMATCH
  const forward: Decode = (input) => target(input)
  compiled.set(ast, forward)
  const decode = compile(ast.f())
  if (decode === undefined) {
    compiled.delete(ast)
    return undefined
  }
  target = decode
  return forward
}

const compileNode = (ast: AST.AST): Decode | undefined => {
  if (ast === DateTimeUtc.ast) return instant(ast as AST.Transformation)
  switch (ast._tag) {
    case "StringKeyword":
      return when((u) => typeof u === "string")
    case "NumberKeyword":
      return when((u) => typeof u === "number")
    case "BooleanKeyword":
      return when((u) => typeof u === "boolean")
    case "UndefinedKeyword":
      return when((u) => u === undefined)
    case "NeverKeyword":
      return () => MISMATCH
    case "UnknownKeyword":
    case "AnyKeyword":
    case "VoidKeyword":
      return always
    case "Literal": {
      const literal = ast.literal
      return when((u) => u === literal)
    }
    case "Union":
      return union(ast)
    case "TupleType":
      return array(ast)
    case "TypeLiteral":
      return typeLiteral(ast)
    case "Declaration": {
      const parse = ast.decodeUnknown(...ast.typeParameters)
      return (input) => rightOf(parse(input, OPTIONS, ast))
    }
    case "Refinement": {
      const from = compile(ast.from)
      if (from === undefined) return undefined
      return (input) => {
        const a = from(input)
        return a === MISMATCH || Option.isSome(ast.filter(a, OPTIONS, ast)) ? MISMATCH : a
      }
    }
    case "Transformation":
      return transformation(ast)
    default:
      return undefined
  }
}

/** The two-digit number at `i` of `s`, or `-1` when either character is not a digit. */
const twoDigits = (s: string, i: number): number => {
  const a = s.charCodeAt(i) - 48
  const b = s.charCodeAt(i + 1) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

/**
 * The epoch milliseconds of an instant in the form the API sends, `YYYY-MM-DDTHH:MM:SSZ` or
 * `YYYY-MM-DDTHH:MM:SS.sssZ`, or `undefined` for any other string (and for the days 29 to 31,
 * hour 24, years before 100, which `new Date` reads in ways `Date.UTC` does not): what
 * `new Date(input).getTime()` gives for it, without parsing a date string.
 */
const instantMillis = (s: string): number | undefined => {
  const n = s.length
  if (
    (n !== 20 && n !== 24) || s.charCodeAt(n - 1) !== 90 /* Z */ || s.charCodeAt(4) !== 45 /* - */ ||
    s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 /* T */ || s.charCodeAt(13) !== 58 /* : */ || s.charCodeAt(16) !== 58
  ) return undefined
  const century = twoDigits(s, 0)
  const year = twoDigits(s, 2)
  const month = twoDigits(s, 5)
  const day = twoDigits(s, 8)
  const hour = twoDigits(s, 11)
  const minute = twoDigits(s, 14)
  const second = twoDigits(s, 17)
  if (
    century < 1 || year < 0 || month < 1 || month > 12 || day < 1 || day > 28 || hour < 0 || hour > 23 || minute < 0 ||
    minute > 59 || second < 0 || second > 59
  ) return undefined
  let millis = 0
  if (n === 24) {
    const tens = twoDigits(s, 20)
    const ones = s.charCodeAt(22) - 48
    if (s.charCodeAt(19) !== 46 /* . */ || tens < 0 || ones < 0 || ones > 9) return undefined
    millis = tens * 10 + ones
  }
  return Date.UTC(century * 100 + year, month - 1, day, hour, minute, second, millis)
}

/**
 * The SDK's `DateTimeUtc` (`schemas/Common.ts`): an instant the API sends in its usual form is
 * built from its epoch milliseconds (as the schema's `DateTime.unsafeFromDate(new Date(input))`
 * would build it, without parsing a date string); any other string goes through the schema's own
 * transformation.
 */
const instant = (ast: AST.Transformation): Decode | undefined => {
  const general = transformation(ast)
  const to = compile(ast.to)
  if (general === undefined || to === undefined) return undefined
  return (input) => {
    const millis = typeof input === "string" ? instantMillis(input) : undefined
    return millis === undefined ? general(input) : to(utcOf(millis))
  }
}

/** Members tried in order; the first that fits wins (Effect's union parser, without literal-keyed members). */
const union = (ast: AST.Union): Decode | undefined => {
  if (ast.types.some(hasLiterals)) return undefined
  const members = compileAll(ast.types)
  if (members === undefined) return undefined
  const tests = members.map((member) => checks.get(member))
  if (tests.every((test) => test !== undefined)) {
    // Strings, literals, `null`, `undefined`…: whichever member fits, the value is the input.
    return when((u) => {
      for (const test of tests) if (test(u)) return true
      return false
    })
  }
  return (input) => {
    for (const member of members) {
      const out = member(input)
      if (out !== MISMATCH) return out
    }
    return MISMATCH
  }
}

/** `Schema.Array(item)`: a tuple of no elements and one rest type (other tuples are left to Schema). */
const array = (ast: AST.TupleType): Decode | undefined => {
  const [rest, ...others] = ast.rest
  if (ast.elements.length !== 0 || rest === undefined || others.length > 0) return undefined
  const item = compile(rest.type)
  if (item === undefined) return undefined
  return (input) => {
    if (!Array.isArray(input)) return MISMATCH
    const output: Array<unknown> = []
    for (let i = 0; i < input.length; i++) {
      const out = item(input[i])
      if (out === MISMATCH) return MISMATCH
      output.push(out)
    }
    return output
  }
}

const compileAll = (asts: ReadonlyArray<AST.AST>): Array<Decode> | undefined => {
  const out: Array<Decode> = []
  for (const ast of asts) {
    const decode = compile(ast)
    if (decode === undefined) return undefined
    out.push(decode)
  }
  return out
}

interface Property {
  readonly name: PropertyKey
  readonly isOptional: boolean
  readonly decode: Decode
}

const properties = (ast: AST.TypeLiteral): Array<Property> | undefined => {
  const out: Array<Property> = []
  for (const ps of ast.propertySignatures) {
    // `output.__proto__ = v` would set a prototype, not a key: leave such a schema to Schema.
    if (ps.name === "__proto__") return undefined
    const decode = compile(ps.type)
    if (decode === undefined) return undefined
    out.push({ name: ps.name, isOptional: ps.isOptional, decode })
  }
  return out
}

/**
 * A struct with `onExcessProperty: "ignore"`: the declared keys in declaration order (an absent
 * optional key stays absent; an absent required key is decoded from `input[name]`, as Schema
 * does), then the keys of string index signatures (`Schema.Record`) in the input's order.
 */
const typeLiteral = (ast: AST.TypeLiteral): Decode | undefined => {
  if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
    return when((u) => u !== null && u !== undefined)
  }
  const props = properties(ast)
  if (props === undefined) return undefined
  const indexes: Array<Decode> = []
  for (const is of ast.indexSignatures) {
    // Keys of `Schema.Record({ key: Schema.String, ... })` only: other keys are checked by Schema.
    if (is.parameter._tag !== "StringKeyword") return undefined
    const decode = compile(is.type)
    if (decode === undefined) return undefined
    indexes.push(decode)
  }
  const expected: Record<PropertyKey, null> = {}
  for (const p of props) expected[p.name] = null
  return (input) => {
    if (!isRecord(input)) return MISMATCH
    const output: Record<PropertyKey, unknown> = {}
    for (const p of props) {
      if (p.isOptional && !hasOwn(input, p.name)) continue
      const out = p.decode(input[p.name])
      if (out === MISMATCH) return MISMATCH
      output[p.name] = out
    }
    for (const decode of indexes) {
      for (const key of Object.keys(input)) {
        const out = decode(input[key])
        if (out === MISMATCH) return MISMATCH
        if (!hasOwn(expected, key)) output[key] = out
      }
    }
    return output
  }
}

/** Decode `from`, transform, decode `to` (Effect's order), with the schema's own transformation. */
const transformation = (ast: AST.Transformation): Decode | undefined => {
  const kind = ast.transformation
  if (kind._tag === "TypeLiteralTransformation") return structTransformation(ast, kind)
  const from = compile(ast.from)
  const to = compile(ast.to)
  if (from === undefined || to === undefined) return undefined
  if (kind._tag === "ComposeTransformation") {
    return (input) => {
      const a = from(input)
      return a === MISMATCH ? MISMATCH : to(a)
    }
  }
  const build = kind._tag === "FinalTransformation" ? classBuilder(ast, kind) : undefined
  if (build !== undefined) {
    return (input) => {
      const a = from(input)
      return a === MISMATCH ? MISMATCH : to(build(a as Record<PropertyKey, unknown>))
    }
  }
  const decode = kind.decode
  return (input) => {
    const a = from(input)
    if (a === MISMATCH) return MISMATCH
    const b = rightOf(decode(a, OPTIONS, ast, input))
    return b === MISMATCH ? MISMATCH : to(b)
  }
}

/**
 * `Schema.Class`'s decode, `new Class(props, true)`, for a class whose constructor is Schema's own
 * (no constructor, no instance fields of its own): the same instance, built without the
 * constructor's steps that cost more than the rest of the decode (a copy of `props`, then the
 * constructor defaults looked up key by key over the class's fields on every call). The instance
 * gets the class's prototype, then the keys of `props` in their order, then each constructor
 * default (`Schema.optionalWith`'s `default` is applied earlier, by the transformation) whose key
 * `props` lacks, in the order of the class's fields: what `lazilyMergeDefaults` and `Data.Class`
 * do in Effect 3's `Schema.Class` constructor.
 *
 * Whether a class is built this way is decided once, by building a probe both ways (Schema's
 * decode and this one), with every key given and with none: anything the constructor does
 * differently (a constructor or instance fields of the class's own, a tagged class, another
 * Effect version's constructor) makes a difference in the probe's prototype, keys, key order,
 * property flags or values, and the class is then decoded by calling its decode as before.
 */
const classBuilder = (
  ast: AST.Transformation,
  kind: AST.FinalTransformation
): ((props: Record<PropertyKey, unknown>) => unknown) | undefined => {
  if (ast.to._tag !== "Declaration") return undefined
  const props = AST.typeAST(ast.from)
  if (!AST.isTypeLiteral(props) || props.indexSignatures.length > 0) return undefined
  // A constructor of the class's own may throw on the probe's values: then it is not Schema's.
  const decode = (probe: Record<PropertyKey, unknown>): unknown => {
    try {
      return rightOf(kind.decode(probe, OPTIONS, ast, probe))
    } catch {
      return MISMATCH
    }
  }
  const full: Record<PropertyKey, unknown> = {}
  for (const ps of props.propertySignatures) full[ps.name] = { probe: ps.name }
  const sample = decode(full)
  if (typeof sample !== "object" || sample === null) return undefined
  const prototype: unknown = Object.getPrototypeOf(sample)
  const klass: unknown = typeof prototype === "object" && prototype !== null ? prototype.constructor : undefined
  if (!Schema.isSchema(klass) || !("fields" in klass) || !isRecord(klass.fields)) return undefined
  const fields = klass.fields
  const defaults: Array<readonly [PropertyKey, () => unknown]> = []
  for (const key of Reflect.ownKeys(fields)) {
    const field = fields[key]
    if (!Schema.isPropertySignature(field)) continue
    const signature = field.ast
    const value = signature._tag === "PropertySignatureDeclaration" ? signature.defaultValue : signature.to.defaultValue
    if (value !== undefined) defaults.push([key, value])
  }
  const build = (input: Record<PropertyKey, unknown>): unknown => {
    const out = Object.assign(Object.create(prototype as object) as Record<PropertyKey, unknown>, input)
    for (const [key, value] of defaults) if (input[key] === undefined) out[key] = value()
    return out
  }
  // The same instance with every key given (values compared by identity), and with none (the
  // defaults' values, which may be fresh objects, compared by kind).
  if (!sameInstance(build(full), sample, Object.is) || !sameInstance(build({}), decode({}), sameKind)) return undefined
  builtDirectly.add(klass)
  return build
}

/** The classes {@link classBuilder} builds (for tests). */
const builtDirectly = new WeakSet<object>()

const sameKind = (a: unknown, b: unknown): boolean =>
  typeof a === typeof b &&
  (typeof a !== "object" || a === null || b === null ? Object.is(a, b) : Object.getPrototypeOf(a) === Object.getPrototypeOf(b))

/** The same prototype, own keys in the same order with the same flags, and values that `same` accepts. */
const sameInstance = (a: unknown, b: unknown, same: (a: unknown, b: unknown) => boolean): boolean => {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return false
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false
  const keys = Reflect.ownKeys(a)
  const others = Reflect.ownKeys(b)
  if (keys.length !== others.length) return false
  return keys.every((key, i) => {
    const x = Object.getOwnPropertyDescriptor(a, key)
    const y = Object.getOwnPropertyDescriptor(b, key)
    return key === others[i] && x !== undefined && y !== undefined && x.enumerable === y.enumerable &&
      x.writable === y.writable && x.configurable === y.configurable && x.get === y.get && x.set === y.set &&
      same(x.value, y.value)
  })
}

let instantsBuiltDirectly = false

/** `true` when the compiled decoder builds instants itself (see `utcOf`). For tests. */
export const buildsInstantsDirectly = (): boolean => instantsBuiltDirectly

/**
 * `DateTime.unsafeFromDate(new Date(millis))` for a valid `millis`: the same `DateTime.Utc`
 * (Effect 3's prototype, an enumerable `epochMillis`, a hidden `partsUtc` cache slot), built with
 * one shared descriptor for the hidden slot where Effect allocates one per value (the larger part
 * of building an instant). Whether it is the same is checked once, against instances Effect built;
 * if not (another Effect version), Effect builds them.
 */
const utcOf: (millis: number) => DateTime.Utc = (() => {
  const sample = DateTime.unsafeMake(0)
  const prototype: unknown = Object.getPrototypeOf(sample)
  const hidden: PropertyDescriptor = Object.freeze({ value: undefined, enumerable: false, writable: true })
  const make = (millis: number): DateTime.Utc => {
    const utc = Object.create(prototype as object) as { epochMillis: number }
    utc.epochMillis = millis
    Object.defineProperty(utc, "partsUtc", hidden)
    return utc as unknown as DateTime.Utc
  }
  const effects = (millis: number): DateTime.Utc => DateTime.unsafeFromDate(new Date(millis))
  const same = [0, 1_767_225_600_000, -1].every((millis) => sameInstance(make(millis), effects(millis), Object.is)) &&
    DateTime.isDateTime(make(0)) && DateTime.isUtc(make(0)) && DateTime.formatIso(make(1_767_225_600_000)) === "2026-01-01T00:00:00.000Z"
  instantsBuiltDirectly = same
  return same ? make : effects
})()

/** A key's transformation: the decoded value, or {@link ABSENT} for no key. */
type Transform = (present: boolean, value: unknown) => unknown

const ABSENT: unique symbol = Symbol("nextmv-effect/compiledDecoder/absent")

/**
 * A property signature transformation's `decode` as a {@link Transform}: the SDK's nullable
 * optional fields (`internal/nullableFields.ts`) without `Option` values, any other through its
 * `Option`s as Schema calls it.
 */
const transformOf = (decode: (o: Option.Option<unknown>) => Option.Option<unknown>): Transform => {
  const nullable = nullableField(decode)
  if (nullable !== undefined && isNullable(decode, nullable.fallback)) {
    const fallback = nullable.fallback
    return fallback === undefined
      ? (present, value) => present && value !== null ? value : ABSENT
      : (present, value) => present && value !== null ? value : fallback()
  }
  return (present, value) => {
    const o = decode(present ? Option.some(value) : Option.none())
    return Option.isSome(o) ? o.value : ABSENT
  }
}

/**
 * Whether `decode` does what `Schema.optionalWith(…, { nullable: true })` documents (absent or
 * `null` → absent, or `fallback()` with a default; a value → that value), on probes: a registered
 * field is trusted only then.
 */
const isNullable = (
  decode: (o: Option.Option<unknown>) => Option.Option<unknown>,
  fallback: (() => unknown) | undefined
): boolean => {
  const value = {}
  const empty = (o: Option.Option<unknown>) => fallback === undefined ? Option.isNone(o) : Option.isSome(o)
  const kept = decode(Option.some(value))
  return empty(decode(Option.none())) && empty(decode(Option.some(null))) && Option.isSome(kept) && kept.value === value
}

/**
 * A struct with property signature transformations (`Schema.optionalWith`, `optionalToOptional`):
 * Schema decodes the encoded struct, applies each key's `decode` to `Option.some(value)` or
 * `Option.none()` (deleting the key, then setting it when the result is `Some`) and decodes the
 * result with the type-side struct. Without renames and index signatures these two intermediate
 * objects are only read key by key, so neither is built: each type-side key decodes its encoded
 * value straight from the input, through its transformation if it has one.
 */
const structTransformation = (
  ast: AST.Transformation,
  kind: AST.TypeLiteralTransformation
): Decode | undefined => {
  const { from: fromAst, to: toAst } = ast
  if (
    !AST.isTypeLiteral(fromAst) || !AST.isTypeLiteral(toAst) || changesParsing(fromAst) || changesParsing(toAst) ||
    fromAst.propertySignatures.length === 0 || fromAst.indexSignatures.length > 0 || toAst.indexSignatures.length > 0
  ) return undefined
  const transforms = new Map<PropertyKey, Transform>()
  for (const pst of kind.propertySignatureTransformations) {
    if (pst.from !== pst.to || transforms.has(pst.from)) return undefined
    transforms.set(pst.from, transformOf(pst.decode))
  }
  const encoded = properties(fromAst)
  const decoded = properties(toAst)
  if (encoded === undefined || decoded === undefined) return undefined
  const names = new Set(decoded.map((p) => p.name))
  // Encoded keys the type side does not read are decoded all the same: their values must fit.
  const unread = encoded.filter((p) => !names.has(p.name))
  const steps = decoded.map((p) => ({
    ...p,
    encoded: encoded.find((e) => e.name === p.name),
    transform: transforms.get(p.name)
  }))
  return (input) => {
    if (!isRecord(input)) return MISMATCH
    for (const p of unread) {
      if ((!p.isOptional || hasOwn(input, p.name)) && p.decode(input[p.name]) === MISMATCH) return MISMATCH
    }
    const output: Record<PropertyKey, unknown> = {}
    for (const step of steps) {
      const name = step.name
      // In the encoded struct the key is there when the input has it, or when it is required
      // (read as `input[name]`, like Schema does); it is gone when its transformation says `None`.
      let present = false
      let value: unknown = undefined
      if (step.encoded !== undefined && (!step.encoded.isOptional || hasOwn(input, name))) {
        value = step.encoded.decode(input[name])
        if (value === MISMATCH) return MISMATCH
        present = true
      }
      if (step.transform !== undefined) {
        const out = step.transform(present, value)
        present = out !== ABSENT
        value = present ? out : undefined
      }
      if (!present) {
        if (step.isOptional) continue
        // A required key missing from the intermediate (plain) object reads its prototype chain.
        value = EMPTY[name]
      }
      const out = step.decode(value)
      if (out === MISMATCH) return MISMATCH
      output[name] = out
    }
    return output
  }
}

interface Compiled {
  readonly fast: Decode | undefined
  readonly decode: (input: unknown) => Either.Either<unknown, ParseResult.ParseIssue>
}

/** One entry per schema, built on first use. */
const cache = new WeakMap<Schema.Schema.Any, Compiled>()

const entryOf = <A, I>(schema: Schema.Schema<A, I, never>): Compiled => {
  let entry = cache.get(schema)
  if (entry === undefined) {
    const fast = compile(schema.ast)
    if (fast === undefined) {
      entry = { fast, decode: ParseResult.decodeUnknownEither(schema, OPTIONS) }
    } else {
      // Schema's decoder is built on the first mismatch only: `listOf(Item)` is a new schema per call.
      let parse: ((input: unknown) => Either.Either<A, ParseResult.ParseIssue>) | undefined
      entry = {
        fast,
        decode: (input) => {
          const out = fast(input)
          if (out !== MISMATCH) return Either.right(out)
          // Any mismatch is decoded again by Schema, so a failure is reported exactly as Schema reports it.
          parse ??= ParseResult.decodeUnknownEither(schema, OPTIONS)
          return parse(input)
        }
      }
    }
    cache.set(schema, entry)
  }
  return entry
}

/**
 * The decoder of a response schema, built once per schema: the same result as
 * `ParseResult.decodeUnknownEither(schema, { onExcessProperty: "ignore" })` (values and issues),
 * through a compiled function when the schema's forms allow it.
 *
 * @example
 * ```ts
 * import { Application } from "../schemas/Applications.js"
 * const decoded = decoderOf(Application)(JSON.parse(`{"id": "routing", "name": "Routing"}`))
 * ```
 */
export const decoderOf = <A, I>(
  schema: Schema.Schema<A, I, never>
): (input: unknown) => Either.Either<A, ParseResult.ParseIssue> =>
  entryOf(schema).decode as (input: unknown) => Either.Either<A, ParseResult.ParseIssue>

/** `true` when {@link decoderOf} decodes `schema` through a compiled function (tests hold the SDK's schemas to it). */
export const isCompiled = <A, I>(schema: Schema.Schema<A, I, never>): boolean => entryOf(schema).fast !== undefined

/**
 * `true` when `schema` is a `Schema.Class` whose compiled decode builds its instances without
 * running its constructor (see `classBuilder`); compiles it first. For tests.
 */
export const isBuiltDirectly = <A, I>(schema: Schema.Schema<A, I, never>): boolean => {
  entryOf(schema)
  return builtDirectly.has(schema)
}

/**
 * The compiled function of `schema` without the fallback (`None` where {@link decoderOf} would
 * ask Schema), or `undefined` when the schema is not compiled. For tests: valid inputs must not
 * fall back.
 */
export const compiledOnly = <A, I>(schema: Schema.Schema<A, I, never>): ((input: unknown) => Option.Option<A>) | undefined => {
  const fast = entryOf(schema).fast
  return fast === undefined ? undefined : (input) => {
    const out = fast(input)
    return out === MISMATCH ? Option.none() : Option.some(out as A)
  }
}
