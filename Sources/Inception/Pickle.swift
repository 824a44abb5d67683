import HeroCore

/// A reader for the subset of Python's pickle format that TorchScript's `data.pkl` uses.
///
/// `data.pkl` is a protocol-2 pickle of the module tree. The reader builds plain values and
/// never executes anything: a `GLOBAL` is kept as its (module, name) pair, `REDUCE` and `NEWOBJ`
/// become a ``PickleObject`` recording the callable and its arguments, `BUILD` stores the state
/// on that object, and `BINPERSID` wraps the persistent id (TorchScript's
/// `('storage', torch.FloatStorage, key, location, numel)` tuples naming `data/<key>`).
///
/// Opcodes read: `PROTO`, `FRAME`, `STOP`, `MARK`, `POP`, `POP_MARK`, `DUP`, `NONE`, `NEWTRUE`,
/// `NEWFALSE`, `BININT`, `BININT1`, `BININT2`, `LONG1`, `BINFLOAT`, `BINUNICODE`,
/// `SHORT_BINUNICODE`, `BINSTRING`, `SHORT_BINSTRING`, `BINBYTES`, `SHORT_BINBYTES`,
/// `EMPTY_TUPLE`, `TUPLE`, `TUPLE1`-`TUPLE3`, `EMPTY_LIST`, `APPEND`, `APPENDS`, `EMPTY_DICT`,
/// `SETITEM`, `SETITEMS`, `GLOBAL`, `REDUCE`, `NEWOBJ`, `BUILD`, `BINPERSID`, `BINPUT`,
/// `LONG_BINPUT`, `MEMOIZE`, `BINGET`, `LONG_BINGET`. Any other opcode, a truncated stream, a
/// stack underflow or a memo miss is a ``PickleError`` naming the file and the byte offset.
///
/// Hostile input: values nest at most ``maxDepth`` deep, and a list, dict or object can only be
/// changed (`APPEND(S)`, `SETITEM(S)`, `BUILD`) while it is not yet inside another value. That
/// is how pickle writes non-recursive data, and it makes a cycle (a list that contains itself)
/// impossible, so every walk of the result ends and every value is freed.
public enum Pickle {
  /// How deep values may nest (a tuple in a list in a dict ... counts one per level).
  public static let maxDepth = 200

  /// Parses `bytes`; `file` names the source in errors.
  public static func parse(_ bytes: [UInt8], file: String) throws(PickleError) -> PickleValue {
    var reader = PickleReader(bytes: bytes, file: file)
    return try reader.run()
  }
}

/// A pickle that could not be read: the file, the byte offset and what was wrong.
public struct PickleError: Error, CustomStringConvertible, Equatable {
  public let file: String
  public let offset: Int
  public let reason: String
  public var description: String {
    "\(MessageText.escaped(file)): pickle byte \(offset): \(reason)"
  }

  public init(file: String, offset: Int, reason: String) {
    self.file = file
    self.offset = offset
    self.reason = reason
  }
}

/// A value built from a pickle. Lists, dicts and objects are reference types because pickle
/// mutates them after memoizing them (`APPENDS`, `SETITEMS`, `BUILD`).
public indirect enum PickleValue: CustomStringConvertible {
  case none
  case bool(Bool)
  case int(Int)
  case float(Double)
  case string(String)
  case bytes([UInt8])
  case tuple([PickleValue])
  case list(PickleList)
  case dict(PickleDict)
  case global(module: String, name: String)
  case object(PickleObject)
  case persistentID(PickleValue)

  public var int: Int? { if case .int(let v) = self { v } else { nil } }
  public var string: String? { if case .string(let v) = self { v } else { nil } }
  public var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
  /// The items of a tuple or a list.
  public var items: [PickleValue]? {
    switch self {
    case .tuple(let t): t
    case .list(let l): l.items
    default: nil
    }
  }
  public var object: PickleObject? { if case .object(let o) = self { o } else { nil } }

  public var description: String {
    switch self {
    case .none: return "None"
    case .bool(let b): return b ? "True" : "False"
    case .int(let i): return "\(i)"
    case .float(let d): return "\(d)"
    default:  // strings too: a long one is cut (fuzz target `pickle` found it unbounded)
      var out = ""
      var budget = Self.descriptionBudget
      describe(into: &out, budget: &budget)
      return out
    }
  }

  /// Longest description, in characters: shared values can make a small pickle describe as
  /// an exponentially long text, so the text stops (with `…`) after this many.
  static let descriptionBudget = 300

  private func describe(into out: inout String, budget: inout Int) {
    func put(_ s: String) {
      guard budget > 0 else { return }
      if s.count > budget {
        out += s.prefix(budget) + "…"
        budget = 0
      } else {
        out += s
        budget -= s.count
      }
    }
    func list(_ items: [PickleValue], _ open: String, _ close: String) {
      put(open)
      for (i, v) in items.enumerated() {
        guard budget > 0 else { return }
        if i > 0 { put(", ") }
        v.describe(into: &out, budget: &budget)
      }
      put(close)
    }
    switch self {
    case .none, .bool, .int, .float: put(description)
    case .string(let s): put("'\(s)'")
    case .bytes(let b): put("b<\(b.count) bytes>")
    case .global(let m, let n): put("\(m).\(n)")
    case .tuple(let t): list(t, "(", ")")
    case .list(let l): list(l.items, "[", "]")
    case .dict(let d):
      put("{")
      for (i, item) in d.items.enumerated() {
        guard budget > 0 else { return }
        if i > 0 { put(", ") }
        item.key.describe(into: &out, budget: &budget)
        put(": ")
        item.value.describe(into: &out, budget: &budget)
      }
      put("}")
    case .object(let o):
      o.callable.describe(into: &out, budget: &budget)
      list(o.arguments, "(", ")")
    case .persistentID(let v):
      put("persid")
      v.describe(into: &out, budget: &budget)
    }
  }
}

public final class PickleList {
  public internal(set) var items: [PickleValue] = []
  /// Nesting depth of the list and its items; `sealed` once the list is inside another value.
  var depth = 1
  var sealed = false
}

/// A dict in insertion order (keys are not hashed; `data.pkl` dicts are small).
public final class PickleDict {
  public internal(set) var items: [(key: PickleValue, value: PickleValue)] = []
  var depth = 1
  var sealed = false

  /// The value for a string key.
  public subscript(key: String) -> PickleValue? {
    for item in items { if case .string(let k) = item.key, k == key { return item.value } }
    return nil
  }
}

/// The result of `REDUCE` (`callable(*arguments)`) or `NEWOBJ` (`cls.__new__(cls, *arguments)`),
/// with the state `BUILD` gave it. Nothing is called.
public final class PickleObject {
  public let callable: PickleValue
  public let arguments: [PickleValue]
  public internal(set) var state: PickleValue?
  var depth: Int
  var sealed = false

  init(callable: PickleValue, arguments: [PickleValue], depth: Int) {
    self.callable = callable
    self.arguments = arguments
    self.depth = depth
  }

  /// `module.name` of the callable when it is a global.
  public var callableName: String? {
    if case .global(let m, let n) = callable { "\(m).\(n)" } else { nil }
  }
}

/// A value on the reader's stack or in its memo, with its nesting depth (for a list, dict or
/// object, the depth is kept on the instance, which can still grow).
private struct Item {
  var value: PickleValue
  var depth: Int

  init(_ value: PickleValue, depth: Int = 1) {
    self.value = value
    self.depth = depth
  }
}

private struct PickleReader {
  let bytes: [UInt8]
  let file: String
  var pos = 0
  var opStart = 0
  var stack: [Item] = []
  var marks: [Int] = []
  var memo: [Int: Item] = [:]

  init(bytes: [UInt8], file: String) {
    self.bytes = bytes
    self.file = file
  }

  func fail(_ why: String) -> PickleError { PickleError(file: file, offset: opStart, reason: why) }

  mutating func byte() throws(PickleError) -> UInt8 {
    guard pos < bytes.count else { throw fail("truncated stream") }
    pos += 1
    return bytes[pos - 1]
  }

  mutating func take(_ n: Int) throws(PickleError) -> ArraySlice<UInt8> {
    guard n >= 0, n <= bytes.count - pos else { throw fail("truncated stream") }
    pos += n
    return bytes[(pos - n)..<pos]
  }

  mutating func uint(_ n: Int) throws(PickleError) -> Int {
    let s = try take(n)
    var v = 0
    for (i, b) in s.enumerated() { v |= Int(b) << (8 * i) }
    return v
  }

  mutating func line() throws(PickleError) -> String {
    var end = pos
    while end < bytes.count, bytes[end] != 0x0A { end += 1 }
    guard end < bytes.count else { throw fail("truncated stream (no newline)") }
    let s = String(decoding: bytes[pos..<end], as: UTF8.self)
    pos = end + 1
    return s
  }

  mutating func pop() throws(PickleError) -> Item {
    if let m = marks.last, stack.count <= m { throw fail("stack underflow past mark") }
    guard let v = stack.popLast() else { throw fail("stack underflow") }
    return v
  }

  mutating func push(_ value: PickleValue, depth: Int = 1) throws(PickleError) {
    guard depth <= Pickle.maxDepth else {
      throw fail("values nest deeper than \(Pickle.maxDepth) levels")
    }
    stack.append(Item(value, depth: depth))
  }

  var top: PickleValue? { stack.last?.value }

  mutating func popMark() throws(PickleError) -> [Item] {
    guard let m = marks.popLast(), m <= stack.count else { throw fail("no mark") }
    let items = Array(stack[m...])
    stack.removeSubrange(m...)
    return items
  }

  /// Puts `item` inside another value: a list, dict or object is sealed (never changed again)
  /// and its depth is final. Returns the depth.
  func nest(_ item: Item) -> Int {
    switch item.value {
    case .list(let l):
      l.sealed = true
      return l.depth
    case .dict(let d):
      d.sealed = true
      return d.depth
    case .object(let o):
      o.sealed = true
      return o.depth
    default: return item.depth
    }
  }

  /// The depth of a value holding `items`.
  func nest(_ items: [Item]) -> Int {
    var deepest = 0
    for i in items { deepest = max(deepest, nest(i)) }
    return deepest + 1
  }

  /// Checks that a container about to change is not yet inside another value, and records
  /// its new depth.
  func grow(_ sealed: Bool, _ depth: inout Int, by childDepth: Int, _ what: String)
    throws(PickleError)
  {
    guard !sealed else {
      throw fail("\(what) changed after it was put inside another value (a cycle?)")
    }
    depth = max(depth, childDepth + 1)
    guard depth <= Pickle.maxDepth else {
      throw fail("values nest deeper than \(Pickle.maxDepth) levels")
    }
  }

  mutating func memoGet(_ i: Int) throws(PickleError) -> Item {
    guard let v = memo[i] else { throw fail("memo \(i) not set") }
    return v
  }

  mutating func memoPut(_ i: Int) throws(PickleError) {
    guard let v = stack.last else { throw fail("stack underflow") }
    memo[i] = v
  }

  mutating func run() throws(PickleError) -> PickleValue {
    while true {
      opStart = pos
      let op = try byte()
      switch op {
      case 0x80: _ = try byte()  // PROTO
      case 0x95: _ = try take(8)  // FRAME (protocol 4)
      case 0x2E:  // STOP
        let v = try pop()
        return v.value
      case 0x28: marks.append(stack.count)  // MARK
      case 0x30: _ = try pop()  // POP
      case 0x31: _ = try popMark()  // POP_MARK
      case 0x32:  // DUP
        guard let v = stack.last else { throw fail("stack underflow") }
        stack.append(v)
      case 0x4E: try push(.none)  // NONE
      case 0x88: try push(.bool(true))
      case 0x89: try push(.bool(false))
      case 0x4A:  // BININT (signed 32-bit)
        try push(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))
      case 0x4B: try push(.int(try uint(1)))  // BININT1
      case 0x4D: try push(.int(try uint(2)))  // BININT2
      case 0x8A:  // LONG1: little-endian two's complement of n bytes
        let n = try uint(1)
        guard n <= 8 else { throw fail("integer of \(n) bytes is too large") }
        let s = try take(n)
        var v: UInt64 = 0
        for (i, b) in s.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        if n > 0, n < 8, let last = s.last, last & 0x80 != 0 { v |= ~0 << (8 * UInt64(n)) }
        try push(.int(Int(Int64(bitPattern: v))))
      case 0x47:  // BINFLOAT (big-endian double)
        let s = try take(8)
        var v: UInt64 = 0
        for b in s { v = v << 8 | UInt64(b) }
        try push(.float(Double(bitPattern: v)))
      case 0x58: try push(.string(try text(try uint(4))))  // BINUNICODE
      case 0x8C: try push(.string(try text(try uint(1))))  // SHORT_BINUNICODE
      case 0x54: try push(.string(try text(try uint(4))))  // BINSTRING
      case 0x55: try push(.string(try text(try uint(1))))  // SHORT_BINSTRING
      case 0x42: try push(.bytes(Array(try take(try uint(4)))))  // BINBYTES
      case 0x43: try push(.bytes(Array(try take(try uint(1)))))  // SHORT_BINBYTES
      case 0x29: try push(.tuple([]))  // EMPTY_TUPLE
      case 0x74:  // TUPLE
        let items = try popMark()
        try push(.tuple(items.map(\.value)), depth: nest(items))
      case 0x85:  // TUPLE1
        let a = try pop()
        try push(.tuple([a.value]), depth: nest([a]))
      case 0x86:  // TUPLE2
        let b = try pop()
        let a = try pop()
        try push(.tuple([a.value, b.value]), depth: nest([a, b]))
      case 0x87:  // TUPLE3
        let c = try pop()
        let b = try pop()
        let a = try pop()
        try push(.tuple([a.value, b.value, c.value]), depth: nest([a, b, c]))
      case 0x5D: try push(.list(PickleList()))  // EMPTY_LIST
      case 0x61:  // APPEND
        let v = try pop()
        guard case .list(let l) = top else { throw fail("APPEND to a non-list") }
        let depth = nest(v)  // first: appending the list to itself seals it
        try grow(l.sealed, &l.depth, by: depth, "list")
        l.items.append(v.value)
      case 0x65:  // APPENDS
        let vs = try popMark()
        guard case .list(let l) = top else { throw fail("APPENDS to a non-list") }
        let depth = nest(vs) - 1
        try grow(l.sealed, &l.depth, by: depth, "list")
        l.items.append(contentsOf: vs.map(\.value))
      case 0x7D: try push(.dict(PickleDict()))  // EMPTY_DICT
      case 0x73:  // SETITEM
        let v = try pop()
        let k = try pop()
        guard case .dict(let d) = top else { throw fail("SETITEM on a non-dict") }
        let depth = nest([k, v]) - 1
        try grow(d.sealed, &d.depth, by: depth, "dict")
        d.items.append((k.value, v.value))
      case 0x75:  // SETITEMS
        let kv = try popMark()
        guard kv.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items") }
        guard case .dict(let d) = top else { throw fail("SETITEMS on a non-dict") }
        let depth = nest(kv) - 1
        try grow(d.sealed, &d.depth, by: depth, "dict")
        for i in stride(from: 0, to: kv.count, by: 2) {
          d.items.append((kv[i].value, kv[i + 1].value))
        }
      case 0x63:  // GLOBAL "module\nname\n"
        let module = try line()
        let name = try line()
        try push(.global(module: module, name: name))
      case 0x52, 0x81:  // REDUCE, NEWOBJ
        let what = op == 0x52 ? "REDUCE" : "NEWOBJ"
        let args = try pop()
        let f = try pop()
        guard case .tuple(let a) = args.value else {
          throw fail("\(what) arguments are not a tuple")
        }
        guard case .global = f.value else { throw fail("\(what) of \(f.value), not a global") }
        let depth = nest([f, args])
        try push(.object(PickleObject(callable: f.value, arguments: a, depth: depth)), depth: depth)
      case 0x62:  // BUILD
        let state = try pop()
        guard case .object(let o) = top else { throw fail("BUILD on a non-object") }
        let depth = nest(state)
        try grow(o.sealed, &o.depth, by: depth, "object")
        o.state = state.value
      case 0x51:  // BINPERSID
        let id = try pop()
        try push(.persistentID(id.value), depth: nest([id]))
      case 0x71: try memoPut(try uint(1))  // BINPUT
      case 0x72: try memoPut(try uint(4))  // LONG_BINPUT
      case 0x94: try memoPut(memo.count)  // MEMOIZE
      case 0x68: stack.append(try memoGet(try uint(1)))  // BINGET
      case 0x6A: stack.append(try memoGet(try uint(4)))  // LONG_BINGET
      default:
        throw fail("unknown opcode 0x" + String(op, radix: 16))
      }
    }
  }

  mutating func text(_ n: Int) throws(PickleError) -> String {
    String(decoding: try take(n), as: UTF8.self)
  }
}
