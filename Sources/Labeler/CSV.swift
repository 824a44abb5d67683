import Foundation

/// Minimal RFC 4180 CSV: comma-separated fields, fields with a comma, quote, CR or LF in double
/// quotes with inner quotes doubled. Lines end in LF (CRLF is read too).
public enum CSV {
  /// One field, quoted when it must be.
  public static func field(_ s: String) -> String {
    guard s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
    else { return s }
    // Quotes doubled scalar by scalar: a quote followed by a combining mark is one Character
    // (one grapheme), which a Character-level replacement would leave single (found by the
    // `csv` fuzz target).
    var out = String.UnicodeScalarView()
    out.append("\"")
    for u in s.unicodeScalars {
      if u == "\"" { out.append("\"") }
      out.append(u)
    }
    out.append("\"")
    return String(out)
  }

  /// One record with its line ending.
  public static func line(_ fields: [String]) -> String {
    fields.map(field).joined(separator: ",") + "\n"
  }

  /// A parsed record and the 1-based line it starts on.
  public struct Record: Sendable, Equatable {
    public var line: Int
    public var fields: [String]
  }

  /// The problem with malformed CSV text.
  public struct ParseError: Error, Sendable, Equatable {
    public var line: Int
    public var reason: String
  }

  /// Parses `text`; blank lines are skipped. A final line without a line ending is a record.
  public static func parse(_ text: String) throws(ParseError) -> [Record] {
    var records: [Record] = []
    var fields: [String] = []
    var field = ""
    var inQuotes = false
    var afterQuote = false
    var line = 1
    var recordLine = 1
    var recordHasContent = false
    let scalars = Array(text.unicodeScalars)
    var i = 0
    func endRecord() {
      if recordHasContent || !fields.isEmpty {
        fields.append(field)
        records.append(Record(line: recordLine, fields: fields))
      }
      fields = []
      field = ""
      recordHasContent = false
      afterQuote = false
    }
    while i < scalars.count {
      let c = scalars[i]
      if inQuotes {
        if c == "\"" {
          if i + 1 < scalars.count, scalars[i + 1] == "\"" {
            field.unicodeScalars.append("\"")
            i += 1
          } else {
            inQuotes = false
            afterQuote = true
          }
        } else {
          if c == "\n" { line += 1 }
          field.unicodeScalars.append(c)
        }
      } else if c == "," {
        fields.append(field)
        field = ""
        afterQuote = false
        recordHasContent = true
      } else if c == "\n" || c == "\r" {
        if c == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
        endRecord()
        line += 1
        recordLine = line
      } else if c == "\"" {
        guard field.isEmpty, !afterQuote else {
          throw ParseError(line: line, reason: "stray quote inside a field")
        }
        inQuotes = true
        recordHasContent = true
      } else {
        guard !afterQuote else {
          throw ParseError(line: line, reason: "text after a closing quote")
        }
        field.unicodeScalars.append(c)
        recordHasContent = true
      }
      i += 1
    }
    if inQuotes { throw ParseError(line: recordLine, reason: "unterminated quoted field") }
    endRecord()
    return records
  }
}
