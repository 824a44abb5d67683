import Foundation
import HeroCore

/// Hero names as labels: any Unicode text that can be one folder name and the stem of a file name.
///
/// A name is stored in Unicode normalisation form C, so the same name typed on two systems maps to
/// one folder. Rejected: the empty name, `.` and `..`, a leading dot (hidden files), `/`, NUL and
/// other control characters, surrounding white space, and names longer than
/// `HeroName.maxBytes` bytes of UTF-8 (a crop file `<hero>_<NNNNNN>.jpg` must stay within the
/// usual 255-byte file-name limit).
public enum HeroName {
  /// The longest name accepted, in UTF-8 bytes.
  public static let maxBytes = 200

  /// The name in NFC if it can be a label; otherwise throws `LabelError.invalidHeroName` naming
  /// `source` (a file, a manifest line or `--hero`).
  public static func validate(_ name: String, source: String = "--hero") throws -> String {
    func fail(_ why: String) -> LabelError {
      .invalidHeroName(name: name, source: source, reason: why)
    }
    let nfc = HeroSpelling.canonical(name)
    guard !nfc.isEmpty else { throw fail("empty") }
    guard nfc != ".", nfc != ".." else { throw fail("\"\(nfc)\" is not a folder name") }
    guard !nfc.hasPrefix(".") else { throw fail("starts with a dot") }
    guard !nfc.contains("/") else { throw fail("contains \"/\"") }
    if nfc.unicodeScalars.contains(where: { $0.value == 0 }) { throw fail("contains NUL") }
    if nfc.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
      throw fail("contains a control character")
    }
    guard nfc.trimmingCharacters(in: .whitespacesAndNewlines) == nfc else {
      throw fail("starts or ends with white space")
    }
    guard nfc.utf8.count <= maxBytes else {
      throw fail("\(nfc.utf8.count) bytes of UTF-8, at most \(maxBytes)")
    }
    return nfc
  }

  /// The name in quotes with control characters escaped, for error messages.
  static func quoted(_ name: String) -> String {
    var out = "\""
    for s in name.unicodeScalars {
      if s.properties.generalCategory == .control || s.value == 0 {
        out += "\\u{\(String(s.value, radix: 16))}"
      } else {
        out.unicodeScalars.append(s)
      }
    }
    return out + "\""
  }
}
