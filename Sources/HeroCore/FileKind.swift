import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What a path is, after following links: only regular files are read as videos or images. A
/// named pipe, a device (a link to `/dev/zero`), or a socket named `*.mp4` would block a reader
/// or never end, so walks skip them and single paths are refused, naming the kind.
public enum FileKind: Equatable, Sendable {
  case regular
  case directory
  case missing
  /// Anything else, in words: "a named pipe", "a character device", ...
  case other(String)

  /// The kind of `path`, following symbolic links (a dangling link is `missing`).
  public static func of(_ path: String) -> FileKind {
    var info = stat()
    guard stat(path, &info) == 0 else { return .missing }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .regular
    case S_IFDIR: return .directory
    case S_IFIFO: return .other("a named pipe")
    case S_IFCHR: return .other("a character device")
    case S_IFBLK: return .other("a block device")
    case S_IFSOCK: return .other("a socket")
    default: return .other("not a regular file")
    }
  }

  /// The words for a kind that is not read.
  public var words: String {
    switch self {
    case .regular: "a regular file"
    case .directory: "a folder"
    case .missing: "no such file"
    case .other(let w): w
    }
  }
}

/// Text from outside (file names, hero names) made safe for a one-line message: control
/// characters (a newline, a tab, an escape sequence) are written as `\n`, `\t`, `\u{1b}`, so
/// one error stays one line and cannot move the terminal's cursor.
public enum MessageText {
  public static func escaped(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    else { return text }
    var out = ""
    for s in text.unicodeScalars {
      switch s {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if s.properties.generalCategory == .control {
          out += "\\u{\(String(s.value, radix: 16))}"
        } else {
          out.unicodeScalars.append(s)
        }
      }
    }
    return out
  }
}
