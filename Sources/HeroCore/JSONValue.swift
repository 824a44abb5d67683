/// A JSON value whose objects keep their key order, so `--json` lines read in CONTRACT.md's
/// order: the one JSON writer of every `--json` line and report line. Non-finite numbers become
/// `null`; strings are UTF-8 with the required escapes only.
public enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case int(Int)
  case number(Double)
  /// A 32-bit float, written with its own shortest form (a bottleneck element).
  case float(Float)
  case string(String)
  case array([JSONValue])
  case object([Field])

  /// One key and its value, in order.
  public struct Field: Sendable, Equatable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) {
      self.key = key
      self.value = value
    }
  }

  /// An object from `(key, value)` pairs, in order; pairs whose value is nil are left out.
  public static func object(_ pairs: KeyValuePairs<String, JSONValue?>) -> JSONValue {
    .object(pairs.compactMap { k, v in v.map { Field(k, $0) } })
  }

  /// An array of strings.
  public static func strings(_ items: [String]) -> JSONValue { .array(items.map { .string($0) }) }

  /// A number rounded to `digits` decimals (shorter lines for probabilities and times).
  public static func rounded(_ v: Double, _ digits: Int = 4) -> JSONValue {
    guard v.isFinite else { return .null }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    return .number((v * scale).rounded() / scale)
  }

  public static func optional(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }


  /// The compact text of the value.
  public var text: String {
    switch self {
    case .null: "null"
    case .bool(let b): b ? "true" : "false"
    case .int(let i): String(i)
    case .number(let d): d.isFinite ? "\(d)" : "null"
    case .float(let f): f.isFinite ? "\(f)" : "null"
    case .string(let s): Self.quote(s)
    case .array(let a): "[" + a.map(\.text).joined(separator: ", ") + "]"
    case .object(let o):
      "{" + o.map { Self.quote($0.key) + ": " + $0.value.text }.joined(separator: ", ") + "}"
    }
  }

  public static func quote(_ s: String) -> String { JSONString.quote(s) }
}
