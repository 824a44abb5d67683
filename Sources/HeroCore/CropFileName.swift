/// The names of crop files of other skill slots than the layout's crop slot:
/// `<hero>_<NNNNNN>-<slot>.jpg` (e.g. `李白_000011-skill1.jpg`) beside the slot-2 crop
/// `<hero>_<NNNNNN>.jpg` of the same frame (docs/footage.md, "All three skills").
public enum CropFileName {
  /// The slot a crop file name names (`<name>_<digits>-<slot>.jpg` or a staged
  /// `<digits>-<slot>.jpg`, at least six digits, the slot lower-case ASCII letters then digits,
  /// e.g. `skill1`); nil for a crop of the layout's crop slot (`<hero>_<NNNNNN>.jpg`) or any
  /// other name. Only the last path component is read.
  public static func slot(ofFile path: String) -> String? {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    guard name.hasSuffix(".jpg"), let dash = name.lastIndex(of: "-") else { return nil }
    let slot = name[name.index(after: dash)..<name.index(name.endIndex, offsetBy: -4)]
    let letters = slot.prefix { $0.isASCII && $0.isLowercase }
    let digits = slot.dropFirst(letters.count)
    guard !letters.isEmpty, !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
      let number = name[..<dash].split(separator: "_", omittingEmptySubsequences: false).last,
      number.count >= 6, number.allSatisfy({ $0.isASCII && $0.isNumber })
    else { return nil }
    return String(slot)
  }

  /// The name with its `-<slot>` part removed (the slot-2 crop's name of the same frame), or
  /// the name itself when it names no slot.
  public static func withoutSlot(_ name: String) -> String {
    guard let slot = slot(ofFile: name) else { return name }
    return String(name.dropLast(slot.count + 5)) + ".jpg"
  }
}
