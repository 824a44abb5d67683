import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Paths that come from files other people make (journals, shard folders, indexes): relative
/// paths that must stay inside the folder they are relative to.
///
/// A safe relative path is non-empty UTF-8 text of at most ``maxBytes`` bytes, `/`-separated,
/// with no absolute start (`/`), no empty, `.` or `..` component, no NUL or other control
/// character, no backslash, and components of at most 255 bytes. Such a path, appended to a
/// folder, names something inside that folder (unless a component is a symbolic link, which
/// writers check with ``RelativePath/resolve(_:under:field:source:)``).
public enum RelativePath {
  /// The longest relative path accepted, in UTF-8 bytes.
  public static let maxBytes = 4096

  /// Why `path` is not a safe relative path, or nil when it is.
  public static func problem(_ path: String) -> String? {
    if path.isEmpty { return "is empty" }
    if path.utf8.count > maxBytes { return "is longer than \(maxBytes) bytes" }
    if path.hasPrefix("/") { return "is absolute" }
    if path.unicodeScalars.contains(where: { $0.value == 0 }) { return "contains NUL" }
    if path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
      return "contains a control character"
    }
    if path.contains("\\") { return "contains a backslash" }
    for part in path.split(separator: "/", omittingEmptySubsequences: false) {
      if part.isEmpty { return "has an empty component" }
      if part == "." || part == ".." { return "has a \"\(part)\" component" }
      if part.utf8.count > 255 { return "has a component longer than 255 bytes" }
    }
    return nil
  }

  /// `path` when it is a safe relative path; otherwise throws `RelativePathError` naming the
  /// file it came from (`source`) and the field (`field`).
  @discardableResult
  public static func validate(_ path: String, field: String, source: String) throws -> String {
    if let why = problem(path) {
      throw RelativePathError.unsafe(source: source, field: field, value: path, reason: why)
    }
    return path
  }

  /// The URL of the safe relative `path` under `root`, after checking that no existing
  /// component of it is a symbolic link (so the result cannot point outside `root`).
  public static func resolve(_ path: String, under root: URL, field: String, source: String)
    throws -> URL
  {
    try validate(path, field: field, source: source)
    var url = root
    for part in path.split(separator: "/") {
      url.appendPathComponent(String(part))
      var info = stat()
      if lstat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
        throw RelativePathError.unsafe(
          source: source, field: field, value: path,
          reason: "passes through the symbolic link \(url.path)")
      }
    }
    return url
  }
}

/// A path from a file that would leave its folder.
public enum RelativePathError: Error, CustomStringConvertible, Equatable {
  case unsafe(source: String, field: String, value: String, reason: String)

  public var description: String {
    switch self {
    case .unsafe(let source, let field, let value, let reason):
      "\(source): \(field) \(RelativePath.quoted(value)) \(reason); refusing a path outside its folder"
    }
  }
}

extension RelativePath {
  /// `text` in quotes with control characters escaped and at most 200 characters.
  static func quoted(_ text: String) -> String {
    var out = "\""
    for (i, s) in text.unicodeScalars.enumerated() {
      if i == 200 {
        out += "…"
        break
      }
      if s.properties.generalCategory == .control {
        out += "\\u{\(String(s.value, radix: 16))}"
      } else {
        out.unicodeScalars.append(s)
      }
    }
    return out + "\""
  }
}
