/// A small SVG element tree, serialised with escaping: the charts of a report are drawn as
/// elements and attributes in code, never pasted together as markup.
public struct SVGElement: Sendable, Equatable {
  public var name: String
  public var attributes: [Attribute]
  public var children: [SVGElement]
  /// Character data (escaped on output); for `text` and `title` elements.
  public var text: String?

  /// One `name="value"` pair.
  public struct Attribute: Sendable, Equatable {
    public var name: String
    public var value: String
  }

  public init(
    _ name: String, _ attributes: KeyValuePairs<String, SVGValue> = [:],
    text: String? = nil, children: [SVGElement] = []
  ) {
    self.name = name
    self.attributes = attributes.map { Attribute(name: $0.key, value: $0.value.text) }
    self.text = text
    self.children = children
  }

  /// Adds an attribute.
  public func with(_ name: String, _ value: SVGValue) -> SVGElement {
    var copy = self
    copy.attributes.append(Attribute(name: name, value: value.text))
    return copy
  }

  /// A root `svg` element of the given size, with a view box of the same size.
  public static func root(
    width: Double, height: Double, className: String, label: String, children: [SVGElement]
  ) -> SVGElement {
    SVGElement(
      "svg",
      [
        "xmlns": "http://www.w3.org/2000/svg", "class": .string(className),
        "width": .number(width), "height": .number(height),
        "viewBox": .string("0 0 \(SVGValue.format(width)) \(SVGValue.format(height))"),
        "role": "img", "aria-label": .string(label),
      ], children: children)
  }

  /// The element as SVG markup, attribute values and text escaped.
  public var markup: String {
    var out = ""
    write(to: &out)
    return out
  }

  private func write(to out: inout String) {
    out += "<" + name
    for a in attributes {
      out += " " + a.name + "=\"" + Self.escape(a.value) + "\""
    }
    if children.isEmpty && text == nil {
      out += "/>"
      return
    }
    out += ">"
    if let text { out += Self.escape(text) }
    for child in children { child.write(to: &out) }
    out += "</" + name + ">"
  }

  /// `&`, `<`, `>`, `"` and `'` as entities.
  public static func escape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for c in s.unicodeScalars {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(c)
      }
    }
    return out
  }
}

/// An attribute value: a string or a number (written with at most two decimals).
public enum SVGValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByFloatLiteral,
  ExpressibleByIntegerLiteral
{
  case string(String)
  case number(Double)

  public init(stringLiteral value: String) { self = .string(value) }
  public init(floatLiteral value: Double) { self = .number(value) }
  public init(integerLiteral value: Int) { self = .number(Double(value)) }

  /// The value as written in the attribute.
  public var text: String {
    switch self {
    case .string(let s): s
    case .number(let d): Self.format(d)
    }
  }

  /// A number with at most two decimals and no trailing zeros ("12", "3.5", "0.25").
  static func format(_ d: Double) -> String {
    guard d.isFinite else { return "0" }
    let hundredths = (d * 100).rounded()
    let whole = Int(hundredths / 100)
    let frac = Int(abs(hundredths).truncatingRemainder(dividingBy: 100))
    let sign = hundredths < 0 && whole == 0 ? "-" : ""
    if frac == 0 { return sign + String(whole) }
    let digits =
      frac % 10 == 0 ? String(frac / 10) : (frac < 10 ? "0" + String(frac) : String(frac))
    return sign + String(whole) + "." + digits
  }
}
