import Foundation

/// The one canonical spelling of a hero name, shared by every command that takes labels
/// (`extract`, `batch`, `train`): Unicode normalisation form C. NFC joins a precomposed and a
/// decomposed spelling (`Zoë` typed on Linux and on macOS) and maps each CJK compatibility
/// ideograph (U+F900–U+FAFF, U+2F800–U+2FA1F) to its unified ideograph (U+F9E1 李 → U+674E
/// 李): every compatibility ideograph has that one-character canonical mapping, except the
/// twelve of the block that Unicode made unified ideographs of their own (U+FA0E, U+FA0F,
/// U+FA11, U+FA13, U+FA14, U+FA1F, U+FA21, U+FA23, U+FA24, U+FA27–U+FA29), which are other
/// characters and stay apart. Compatibility forms beyond that (full-width Latin letters, NFKC)
/// are not joined: they can be different names.
public enum HeroSpelling {
  /// `name` in its canonical spelling (NFC).
  public static func canonical(_ name: String) -> String {
    name.precomposedStringWithCanonicalMapping
  }

  /// The spellings of `names` that are one hero: canonical name → the spellings found (in the
  /// order given), only for names found in more than one spelling (compared byte by byte;
  /// Swift's `==` already treats canonically equivalent strings as equal).
  public static func merged(_ names: [String]) -> [String: [String]] {
    var by: [String: [String]] = [:]
    for n in names {
      let c = canonical(n)
      if !(by[c] ?? []).contains(where: { Array($0.utf8) == Array(n.utf8) }) {
        by[c, default: []].append(n)
      }
    }
    return by.filter { $0.value.count > 1 }
  }

  /// The warning for one hero found in several spellings: each spelling quoted, escaped and
  /// with its code points (they look alike on screen), then the name used.
  public static func warning(hero: String, spellings: [String], of what: String) -> String {
    let names = spellings.map { s in
      "\"\(MessageText.escaped(s))\" ("
        + s.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }
        .joined(separator: " ") + ")"
    }
    return "warning: the \(what) \(names.joined(separator: ", ")) are one hero under Unicode "
      + "NFC; trained as one class, \(MessageText.escaped(hero))"
  }
}
