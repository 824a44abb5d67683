/// JSON string literals, for the hand-ordered JSON lines of the CLI and the sidecars (whose key
/// order JSONEncoder does not keep): quotes, backslashes and control characters escaped, every
/// other character (Chinese hero names included) written as it is.
public enum JSONString {
  /// `s` as a JSON string literal, with its quotes.
  public static func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where u.value < 0x20:
        let hex = String(u.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(u)
      }
    }
    return out + "\""
  }
}
