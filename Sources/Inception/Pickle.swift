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
public enum Pickle {
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
  public var description: String { "\(file): pickle byte \(offset): \(reason)" }

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
    case .none: "None"
    case .bool(let b): b ? "True" : "False"
    case .int(let i): "\(i)"
    case .float(let d): "\(d)"
    case .string(let s): "'\(s)'"
    case .bytes(let b): "b<\(b.count) bytes>"
    case .tuple(let t): "(" + t.map(\.description).joined(separator: ", ") + ")"
    case .list(let l): "[" + l.items.map(\.description).joined(separator: ", ") + "]"
    case .dict(let d):
      "{" + d.items.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
    case .global(let m, let n): "\(m).\(n)"
    case .object(let o): "\(o.callable)(\(o.arguments.map(\.description).joined(separator: ", ")))"
    case .persistentID(let v): "persid\(v)"
    }
  }
}

public final class PickleList {
  public internal(set) var items: [PickleValue] = []
}

/// A dict in insertion order (keys are not hashed; `data.pkl` dicts are small).
public final class PickleDict {
  public internal(set) var items: [(key: PickleValue, value: PickleValue)] = []

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

  init(callable: PickleValue, arguments: [PickleValue]) {
    self.callable = callable
    self.arguments = arguments
  }

  /// `module.name` of the callable when it is a global.
  public var callableName: String? {
    if case .global(let m, let n) = callable { "\(m).\(n)" } else { nil }
  }
}

private struct PickleReader {
  let bytes: [UInt8]
  let file: String
  var pos = 0
  var opStart = 0
  var stack: [PickleValue] = []
  var marks: [Int] = []
  var memo: [Int: PickleValue] = [:]

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

  mutating func pop() throws(PickleError) -> PickleValue {
    guard let v = stack.popLast() else { throw fail("stack underflow") }
    if let m = marks.last, stack.count < m { throw fail("stack underflow past mark") }
    return v
  }

  var top: PickleValue? { stack.last }

  mutating func popMark() throws(PickleError) -> [PickleValue] {
    guard let m = marks.popLast(), m <= stack.count else { throw fail("no mark") }
    let items = Array(stack[m...])
    stack.removeSubrange(m...)
    return items
  }

  mutating func memoGet(_ i: Int) throws(PickleError) -> PickleValue {
    guard let v = memo[i] else { throw fail("memo \(i) not set") }
    return v
  }

  mutating func memoPut(_ i: Int) throws(PickleError) {
    guard let v = top else { throw fail("stack underflow") }
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
        return v
      case 0x28: marks.append(stack.count)  // MARK
      case 0x30: _ = try pop()  // POP
      case 0x31: _ = try popMark()  // POP_MARK
      case 0x32:  // DUP
        guard let v = top else { throw fail("stack underflow") }
        stack.append(v)
      case 0x4E: stack.append(.none)  // NONE
      case 0x88: stack.append(.bool(true))
      case 0x89: stack.append(.bool(false))
      case 0x4A:  // BININT (signed 32-bit)
        stack.append(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))
      case 0x4B: stack.append(.int(try uint(1)))  // BININT1
      case 0x4D: stack.append(.int(try uint(2)))  // BININT2
      case 0x8A:  // LONG1: little-endian two's complement of n bytes
        let n = try uint(1)
        guard n <= 8 else { throw fail("integer of \(n) bytes is too large") }
        let s = try take(n)
        var v: UInt64 = 0
        for (i, b) in s.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        if n > 0, n < 8, let last = s.last, last & 0x80 != 0 { v |= ~0 << (8 * UInt64(n)) }
        stack.append(.int(Int(Int64(bitPattern: v))))
      case 0x47:  // BINFLOAT (big-endian double)
        let s = try take(8)
        var v: UInt64 = 0
        for b in s { v = v << 8 | UInt64(b) }
        stack.append(.float(Double(bitPattern: v)))
      case 0x58: stack.append(.string(try text(try uint(4))))  // BINUNICODE
      case 0x8C: stack.append(.string(try text(try uint(1))))  // SHORT_BINUNICODE
      case 0x54: stack.append(.string(try text(try uint(4))))  // BINSTRING
      case 0x55: stack.append(.string(try text(try uint(1))))  // SHORT_BINSTRING
      case 0x42: stack.append(.bytes(Array(try take(try uint(4)))))  // BINBYTES
      case 0x43: stack.append(.bytes(Array(try take(try uint(1)))))  // SHORT_BINBYTES
      case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
      case 0x74: stack.append(.tuple(try popMark()))  // TUPLE
      case 0x85: stack.append(.tuple([try pop()]))  // TUPLE1
      case 0x86:  // TUPLE2
        let b = try pop()
        let a = try pop()
        stack.append(.tuple([a, b]))
      case 0x87:  // TUPLE3
        let c = try pop()
        let b = try pop()
        let a = try pop()
        stack.append(.tuple([a, b, c]))
      case 0x5D: stack.append(.list(PickleList()))  // EMPTY_LIST
      case 0x61:  // APPEND
        let v = try pop()
        guard case .list(let l) = top else { throw fail("APPEND to a non-list") }
        l.items.append(v)
      case 0x65:  // APPENDS
        let vs = try popMark()
        guard case .list(let l) = top else { throw fail("APPENDS to a non-list") }
        l.items.append(contentsOf: vs)
      case 0x7D: stack.append(.dict(PickleDict()))  // EMPTY_DICT
      case 0x73:  // SETITEM
        let v = try pop()
        let k = try pop()
        guard case .dict(let d) = top else { throw fail("SETITEM on a non-dict") }
        d.items.append((k, v))
      case 0x75:  // SETITEMS
        let kv = try popMark()
        guard kv.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items") }
        guard case .dict(let d) = top else { throw fail("SETITEMS on a non-dict") }
        for i in stride(from: 0, to: kv.count, by: 2) { d.items.append((kv[i], kv[i + 1])) }
      case 0x63:  // GLOBAL "module\nname\n"
        let module = try line()
        let name = try line()
        stack.append(.global(module: module, name: name))
      case 0x52:  // REDUCE
        let args = try pop()
        let f = try pop()
        guard case .tuple(let a) = args else { throw fail("REDUCE arguments are not a tuple") }
        guard case .global = f else { throw fail("REDUCE of \(f), not a global") }
        stack.append(.object(PickleObject(callable: f, arguments: a)))
      case 0x81:  // NEWOBJ
        let args = try pop()
        let cls = try pop()
        guard case .tuple(let a) = args else { throw fail("NEWOBJ arguments are not a tuple") }
        guard case .global = cls else { throw fail("NEWOBJ of \(cls), not a global") }
        stack.append(.object(PickleObject(callable: cls, arguments: a)))
      case 0x62:  // BUILD
        let state = try pop()
        guard case .object(let o) = top else { throw fail("BUILD on a non-object") }
        o.state = state
      case 0x51: stack.append(.persistentID(try pop()))  // BINPERSID
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
