import HeroCore

/// A JSON value whose objects keep their key order, so `--json` lines read in CONTRACT.md's
/// order. Non-finite numbers become `null`; strings are UTF-8 with the required escapes only.
enum JSONValue {
  case null
  case bool(Bool)
  case int(Int)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([(String, JSONValue)])

  /// A number rounded to `digits` decimals (shorter lines for probabilities and times).
  static func rounded(_ v: Double, _ digits: Int = 4) -> JSONValue {
    guard v.isFinite else { return .null }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    return .number((v * scale).rounded() / scale)
  }

  static func optional(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }

  /// The compact text of the value.
  var text: String {
    switch self {
    case .null: "null"
    case .bool(let b): b ? "true" : "false"
    case .int(let i): String(i)
    case .number(let d): d.isFinite ? "\(d)" : "null"
    case .string(let s): Self.quote(s)
    case .array(let a): "[" + a.map(\.text).joined(separator: ", ") + "]"
    case .object(let o):
      "{" + o.map { Self.quote($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}"
    }
  }

  static func quote(_ s: String) -> String { JSONString.quote(s) }
}
